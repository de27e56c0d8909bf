/** Back office: opted out of tracking (`exclude` in lib/mapp.ts). */
export default function Admin() {
  return <h1>Admin</h1>;
}
