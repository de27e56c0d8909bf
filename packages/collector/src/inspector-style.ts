/** Stylesheet of the inspector page (system fonts only: the page loads nothing from outside). */
export const INSPECTOR_CSS = String.raw`
:root {
  --bg: #f4f6f9; --panel: #ffffff; --ink: #1c2430; --muted: #6b7686; --line: #e3e7ee; --soft: #f8fafc;
  --accent: #2f6fde; --page: #2f6fde; --event: #8a4fd8; --order: #1e9e63; --bad: #d93a3a; --bad-bg: #fdeeee;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html, body { height: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; display: flex; flex-direction: column; }
header { display: flex; align-items: center; gap: 14px; padding: 10px 20px; background: #18202c; color: #e9eef5; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; letter-spacing: .2px; }
header h1 span { color: #8fb4ff; font-weight: 500; }
header .url { font: 12px var(--mono); color: #a9b4c4; }
header .spacer { flex: 1; }
.status { display: inline-flex; align-items: center; gap: 6px; font-size: 12px; color: #c9d2df; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: #f0a92e; box-shadow: 0 0 0 3px rgba(240,169,46,.18); }
.status.live .dot { background: #33c27f; box-shadow: 0 0 0 3px rgba(51,194,127,.2); }
button { font: inherit; font-size: 13px; border: 1px solid var(--line); background: var(--panel); color: var(--ink); border-radius: 6px; padding: 5px 11px; cursor: pointer; }
button:hover { border-color: #c4ccd8; }
header button { background: transparent; color: #e9eef5; border-color: #3a4556; }
header button:hover { border-color: #6b7a90; }
.summary { display: grid; grid-template-columns: repeat(6, minmax(92px, 1fr)) minmax(280px, 2.4fr); gap: 10px; padding: 14px 20px 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; min-width: 0; }
.counter .label { font-size: 11px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); }
.counter .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.counter.page .value { color: var(--page); } .counter.event .value { color: var(--event); }
.counter.order .value { color: var(--order); } .counter.bad .value { color: var(--bad); }
.chart { display: flex; flex-direction: column; }
.chart .label { font-size: 11px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); display: flex; justify-content: space-between; }
.chart svg { width: 100%; height: 46px; margin-top: 4px; display: block; }
.chart rect { fill: #9fbdf5; } .chart rect.now { fill: var(--accent); }
.filters { display: flex; align-items: center; gap: 10px; padding: 12px 20px; flex-wrap: wrap; }
.filters input[type=search] { font: inherit; font-size: 13px; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); width: 230px; }
.filters input:focus { outline: 2px solid rgba(47,111,222,.35); border-color: var(--accent); }
.seg { display: inline-flex; border: 1px solid var(--line); border-radius: 7px; overflow: hidden; background: var(--panel); }
.seg button { border: 0; border-radius: 0; border-right: 1px solid var(--line); padding: 6px 12px; }
.seg button:last-child { border-right: 0; }
.seg button.on { background: #18202c; color: #fff; }
.filters label { display: inline-flex; align-items: center; gap: 6px; font-size: 13px; color: var(--muted); }
.filters .shown { margin-left: auto; font-size: 12px; color: var(--muted); }
main { flex: 1; min-height: 0; display: grid; grid-template-columns: minmax(330px, 38%) 1fr; gap: 12px; padding: 0 20px 16px; }
.list, .detail { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; overflow: auto; min-height: 0; }
.row { display: grid; grid-template-columns: 64px 1fr auto; gap: 2px 10px; padding: 8px 12px; border-bottom: 1px solid var(--line); cursor: pointer; border-left: 3px solid transparent; }
.row:hover { background: var(--soft); }
.row.sel { background: #eef4ff; border-left-color: var(--accent); }
.row.bad { border-left-color: var(--bad); }
.row.sel.bad { background: #fff3f3; }
.row .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.row .time { font: 12px var(--mono); color: var(--muted); text-align: right; }
.row .meta { grid-column: 2 / 4; font-size: 12px; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.row.fresh { animation: flash 1.2s ease-out; }
@keyframes flash { from { background: #fff8d6; } to { background: transparent; } }
.badge { display: inline-block; font-size: 11px; font-weight: 600; border-radius: 999px; padding: 1px 8px; text-align: center; color: #fff; align-self: start; }
.badge.page { background: var(--page); } .badge.event { background: var(--event); } .badge.order { background: var(--order); }
.warn { color: var(--bad); font-weight: 600; }
.empty { padding: 40px 24px; color: var(--muted); text-align: center; }
.empty code { display: inline-block; margin-top: 8px; font: 12px var(--mono); background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; color: var(--ink); word-break: break-all; }
.detail { padding: 16px 18px; }
.detail h2 { margin: 0; font-size: 18px; display: flex; align-items: center; gap: 10px; word-break: break-all; }
.detail .sub { color: var(--muted); font-size: 12px; margin: 4px 0 12px; }
.problems { background: var(--bad-bg); border: 1px solid #f3c4c4; border-radius: 8px; padding: 8px 12px; margin-bottom: 12px; color: #8f1f1f; }
.problems strong { display: block; margin-bottom: 2px; }
.problems ul { margin: 0; padding-left: 18px; }
.ok { background: #eaf7f0; border: 1px solid #bfe6d1; color: #17683f; border-radius: 8px; padding: 6px 12px; margin-bottom: 12px; font-size: 13px; }
.groups { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 10px; align-items: start; }
.group { border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.group.wide { grid-column: 1 / -1; }
.group h3 { margin: 0; font-size: 11px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); background: var(--soft); padding: 6px 10px; border-bottom: 1px solid var(--line); }
.group table { width: 100%; border-collapse: collapse; font-size: 13px; }
.group table.products { border-bottom: 1px solid var(--line); }
.group table.products td, .group table.products th { font-variant-numeric: tabular-nums; }
.group td, .group th { padding: 4px 10px; vertical-align: top; text-align: left; border-bottom: 1px solid #f0f2f6; }
.group tr:last-child td { border-bottom: 0; }
.group th { font-size: 11px; color: var(--muted); font-weight: 600; }
.group td.k { color: var(--muted); width: 42%; }
.group td.k code { font: 11px var(--mono); color: #98a2b3; margin-left: 4px; }
.group td.v { word-break: break-word; font-variant-numeric: tabular-nums; }
.group td.v.flag { color: var(--bad); font-weight: 600; }
a.eid { color: var(--accent); cursor: pointer; text-decoration: none; font-family: var(--mono); font-size: 12px; }
a.eid:hover { text-decoration: underline; }
pre.raw { margin: 0; padding: 8px 10px; font: 12px/1.5 var(--mono); white-space: pre-wrap; word-break: break-all; background: var(--soft); }
.clients { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 10px; padding: 10px 20px 0; }
.breakdown .label { font-size: 11px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); margin-bottom: 4px; }
.breakdown .bar-row { display: grid; grid-template-columns: minmax(70px, 34%) 1fr 44px; gap: 8px; align-items: center; font-size: 12px; line-height: 18px; }
.breakdown .bar-row .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.breakdown .bar-row .bar { height: 8px; border-radius: 4px; background: #9fbdf5; min-width: 2px; }
.breakdown .bar-row .count { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); }
.breakdown .none { font-size: 12px; color: var(--muted); }
.client-badge { display: inline-block; font-size: 11px; border: 1px solid var(--line); background: var(--soft); color: var(--ink); border-radius: 999px; padding: 0 7px; margin-right: 6px; }
.client-badge.device-mobile, .client-badge.device-tablet { border-color: #c9b3f0; background: #f4eefd; }
@media (max-width: 1100px) { .summary { grid-template-columns: repeat(3, 1fr); } .summary .chart { grid-column: 1 / -1; } }
`;
