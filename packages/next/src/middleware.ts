import type { HitData, RequestContext, Visit } from '@mapp-s2s/core';
import type { NextFetchEvent, NextRequest } from 'next/server.js';
import { applyCookie, continuesToApp, forwardMethod } from './apply-cookie.js';
import { createNextTracker } from './next-tracker.js';
import type { MappMiddleware, NextMiddlewareLike, NextMiddlewareResult, NextTracker, NextTrackingOptions } from './types.js';

/** The response Next treats as "continue to the route", built without importing `next/server` at runtime. */
function continueResponse(): Response {
  return new Response(null, { headers: { 'x-middleware-next': '1' } });
}

/**
 * The status known in middleware: only when the middleware answered itself (a redirect,
 * a 401...). `next()` and rewrites go on to the route, whose status is not known yet.
 */
function answeredStatus(response: Response | undefined): Pick<RequestContext, 'status' | 'contentType'> {
  if (!response) return {};
  if (continuesToApp(response)) return {};
  return { status: response.status, contentType: response.headers.get('content-type') ?? undefined };
}

function splitOptions(options: NextTrackingOptions): {
  tracker: NextTracker;
  notFound?: NextTrackingOptions['notFound'];
  hitData?: NextTrackingOptions['hitData'];
  pageTracksItself?: NextTrackingOptions['pageTracksItself'];
} {
  const { tracker, notFound, hitData, pageTracksItself, ...trackerOptions } = options;
  // remoteAddress, protocol and env stay in trackerOptions: createNextTracker takes them.
  return { tracker: tracker ?? createNextTracker(trackerOptions), notFound, hitData, pageTracksItself };
}

/**
 * Wraps your own middleware / proxy function with Mapp tracking. Your function runs
 * unchanged and its response (`NextResponse.next()`, a rewrite, a redirect, your own
 * `Response`, or nothing) goes out with the visitor cookie added. The hit is sent inside
 * `event.waitUntil()`, so the response is never delayed. Errors thrown by your function
 * pass through untouched; tracking problems never reach the request.
 *
 * @example
 * ```ts
 * // proxy.ts (Next 16, Node.js) or middleware.ts (Edge)
 * import { withMappTracking } from '@mapp-s2s/next';
 * export default withMappTracking(function auth(request) { ... }, { exclude: ['/admin'] });
 * export const config = { matcher: ['/((?!_next/static|_next/image|favicon.ico|api/|api$|.*\\.[^/]+$).*)'] };
 * ```
 */
export function withMappTracking(middleware: NextMiddlewareLike | undefined, options: NextTrackingOptions = {}): MappMiddleware {
  const { tracker, notFound, hitData, pageTracksItself } = splitOptions(options);

  async function begin(request: NextRequest): Promise<{ context: RequestContext; visit: Visit; data?: HitData } | undefined> {
    try {
      const core = tracker.getTracker();
      if (!core) return undefined;
      const context = tracker.toContext(request);
      const visit = await core.begin(context);
      return { context, visit, data: hitData?.(request) };
    } catch (error) {
      (options.logger ?? console).warn('[mapp-s2s/next] tracking skipped for this request.', error);
      return undefined;
    }
  }

  return async function mappTrackingMiddleware(request: NextRequest, event?: NextFetchEvent): Promise<Response> {
    // Our begin() runs while the user's middleware works: neither waits for the other.
    const [started, result] = await Promise.all([
      begin(request),
      middleware ? (middleware(request, event as NextFetchEvent) as Promise<NextMiddlewareResult>) : undefined,
    ]);
    const response = result ?? undefined;
    if (!started) return forwardMethod(response ?? continueResponse(), request);
    try {
      const { context, visit, data } = started;
      const known = answeredStatus(response);
      const missing = known.status === undefined && notFound?.(request) === true ? { status: 404 } : {};
      // A page that tracks itself sends its page view from the render (trackPageView).
      if (!(known.status === undefined && pageTracksItself?.(request) === true)) {
        const sending = tracker.getTracker()!.end({ ...context, ...known, ...missing }, visit, data);
        if (event) event.waitUntil(sending);
      }
      const outgoing = forwardMethod(response ?? continueResponse(), request);
      return visit.setCookie ? applyCookie(outgoing, visit.setCookie) : outgoing;
    } catch (error) {
      (options.logger ?? console).warn('[mapp-s2s/next] tracking skipped for this request.', error);
      return response ?? continueResponse();
    }
  };
}

/**
 * The ready-made tracking middleware: `export default mappTracking()` from `middleware.ts`
 * (Edge) or `proxy.ts` (Next 16, Node.js), next to the `config.matcher` recipe.
 *
 * @example
 * ```ts
 * import { mappTracking } from '@mapp-s2s/next';
 * export default mappTracking({ exclude: ['/admin', '/health'] });
 * export const config = { matcher: ['/((?!_next/static|_next/image|favicon.ico|api/|api$|.*\\.[^/]+$).*)'] };
 * ```
 */
export function mappTracking(options: NextTrackingOptions = {}): MappMiddleware {
  return withMappTracking(undefined, options);
}
