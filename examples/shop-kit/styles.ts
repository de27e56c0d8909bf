/** The shop's one stylesheet, served at `/static/app.css`. */
export const STYLESHEET = `
:root { --ink: #1d2430; --muted: #5b6575; --brand: #0b6e4f; --line: #e3e7ee; --bg: #f7f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--ink); background: var(--bg); }
header { display: flex; gap: 1.5rem; align-items: center; padding: 0.9rem 2rem; background: #fff; border-bottom: 1px solid var(--line); }
header .logo { font-weight: 700; color: var(--brand); text-decoration: none; font-size: 1.2rem; }
header nav a { color: var(--muted); text-decoration: none; margin-right: 1rem; }
main { max-width: 60rem; margin: 2rem auto; padding: 0 2rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 0.5rem; padding: 1rem; }
.card a { color: var(--ink); text-decoration: none; font-weight: 600; }
.price { color: var(--brand); font-weight: 600; }
table { width: 100%; border-collapse: collapse; background: #fff; }
td, th { padding: 0.5rem; border-bottom: 1px solid var(--line); text-align: left; }
.button { display: inline-block; background: var(--brand); color: #fff; border: 0; border-radius: 0.4rem; padding: 0.5rem 1rem; text-decoration: none; cursor: pointer; font: inherit; }
footer { text-align: center; color: var(--muted); font-size: 0.85rem; padding: 2rem; }
`;
