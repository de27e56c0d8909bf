/** Back office: opted out of tracking (`exclude` in lib/mapp.ts), no visitor cookie. */
export default function Admin() {
  return <h1>Admin</h1>;
}
