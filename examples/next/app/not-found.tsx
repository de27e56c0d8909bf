/** The 404 page. The middleware marks unknown paths as not found (lib/routes.ts). */
export default function NotFound() {
  return <h1>Not found</h1>;
}
