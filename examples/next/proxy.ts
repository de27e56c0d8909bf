// Next.js 16: proxy.ts always runs on Node.js, so the tracker may batch (MAPP_TRANSPORT=batch).
// For the Edge runtime use middleware.ts instead (see edge/middleware.ts and the README).
import { trackingMiddleware } from './lib/tracking';

const proxy = trackingMiddleware;
export default proxy;

// Next reads this at build time: it must be a literal (same value as MAPP_MATCHER).
export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico|api/|api$|.*\\.[^/]+$).*)'],
};
