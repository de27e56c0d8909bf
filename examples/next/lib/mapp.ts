import { createNextTracker } from '@mapp-s2s/next';

/**
 * The app's one tracker, shared by `proxy.ts` (or `middleware.ts`) and the pages that send
 * their own hits. Settings come from the environment at the first request: `MAPP_TRACK_ID`,
 * `MAPP_TRACK_DOMAIN`, `MAPP_TRANSPORT`, `MAPP_TRUST_PROXY`.
 */
export const mapp = createNextTracker({
  // `next start` serves plain HTTP; a TLS proxy in front says so with X-Forwarded-Proto,
  // which MAPP_TRUST_PROXY decides to believe (Next itself believes anyone).
  protocol: () => 'http',
  // Opted out: monitoring and the back office are no pages a visitor sees, and the Smart
  // Pixel pass-through answers GIFs (middleware cannot see that status, so say it here).
  exclude: [/^\/health(\/|$)/, /^\/admin(\/|$)/, /^\/mapp\/pixel(\/|$)/],
});
