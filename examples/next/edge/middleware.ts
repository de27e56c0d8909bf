// The Edge-runtime variant of proxy.ts. Next.js 13-16 run middleware.ts on the Edge runtime
// by default; the tracker then sends each hit directly inside event.waitUntil().
// Use it instead of proxy.ts (an app has one or the other): `pnpm build:edge` builds a copy
// of this app with it in `.edge/`.
import { trackingMiddleware } from '../lib/tracking';

const middleware = trackingMiddleware;
export default middleware;

// Next reads this at build time: it must be a literal (same value as MAPP_MATCHER).
export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico|api/|api$|.*\\.[^/]+$).*)'],
};
