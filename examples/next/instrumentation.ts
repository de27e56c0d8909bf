/**
 * `next start`: make the TCP peer visible to middleware, with or without a reverse proxy in front.
 *
 * Next.js never shows the socket address to `middleware.ts`/`proxy.ts`. `next start` copies
 * it into `X-Forwarded-For` only when the request has none, so a client that sends its own
 * `X-Forwarded-For` could choose the IP we report. A reverse proxy (nginx, a load balancer)
 * that appends `$remote_addr` fixes that; this hook does the same inside `next start`, so the
 * right-most entry is always the real peer and `MAPP_TRUST_PROXY` decides about the rest.
 * Keep it behind a reverse proxy too (set `MAPP_TRUST_PROXY` to the proxy, e.g. `loopback`):
 * without it Next shows the proxy's last entry as the peer, and the proxy's
 * `X-Forwarded-Proto` could never be trusted. Only a platform that runs Next for you and
 * names the client itself (e.g. Vercel) makes it unnecessary.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { appendPeerToForwardedFor } = await import('./lib/append-peer');
  appendPeerToForwardedFor();
}
