/** JSON API: never a page view (and outside the middleware matcher). */
export function GET(): Response {
  return Response.json({ status: 'ok' });
}

export const dynamic = 'force-dynamic';
