import { withMappTracking } from '@mapp-s2s/next';
import type { NextRequest } from 'next/server';
import { mapp } from './mapp';
import { isDecodablePath, isKnownRoute, routeHitData, tracksItself } from './routes';

/**
 * A path with a malformed percent-escape (`/products/%`) is a bad request. Next 16 fails to
 * decode such a dynamic segment before the page runs and, in an App-Router-only app, answers
 * `500 Internal Server Error` (vercel/next.js#94278); this answers 400 first, as Express does.
 * Paths outside the matcher (file extensions such as `/products/%.x`) still reach Next.
 */
function rejectUndecodablePath(request: NextRequest): Response | undefined {
  if (isDecodablePath(request.nextUrl.pathname)) return undefined;
  return new Response('Bad request: malformed percent-encoding in the path\n', { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}

/**
 * The shop's tracking middleware, exported as default by `proxy.ts` and by the Edge
 * `middleware.ts`. A bad request answered by `rejectUndecodablePath` is no page view: the
 * core sees its 400.
 */
export const trackingMiddleware = withMappTracking(rejectUndecodablePath, {
  tracker: mapp,
  notFound: (request) => !isKnownRoute(request.nextUrl.pathname),
  hitData: routeHitData,
  pageTracksItself: tracksItself,
});
