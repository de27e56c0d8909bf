/**
 * `next start` without a reverse proxy in front: make the TCP peer visible to middleware.
 *
 * Next.js never shows the socket address to `middleware.ts`/`proxy.ts`. `next start` copies
 * it into `X-Forwarded-For` only when the request has none, so a client that sends its own
 * `X-Forwarded-For` could choose the IP we report. A reverse proxy (nginx, a load balancer)
 * that appends `$remote_addr` fixes that; this hook does the same inside `next start`, so the
 * right-most entry is always the real peer and `MAPP_TRUST_PROXY` decides about the rest.
 * Remove it when your platform or proxy already appends the peer (e.g. Vercel).
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { appendPeerToForwardedFor } = await import('./lib/append-peer');
  appendPeerToForwardedFor();
}
