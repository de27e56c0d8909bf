/** Health check for load balancers: opted out of tracking (`exclude` in lib/mapp.ts). */
export function GET(): Response {
  return new Response('ok', { headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

export const dynamic = 'force-dynamic';
