import type { NextFunction, Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from 'express';
import { createNodePixelProxy, type PixelProxyOptions, type Tracker } from '@mapp-s2s/core/node';

/** Options of `mappPixelProxy()`: every core pass-through option plus `onError`. */
export interface ExpressPixelProxyOptions extends PixelProxyOptions {
  /**
   * Receives failures of the adapter itself (the browser still gets the GIF). Pass-through
   * outcomes (refusals, fallbacks) arrive at `onPixelEvent`.
   * @default one `logger.warn` per failure
   */
  onError?: (error: Error, req: ExpressRequest) => void;
}

/** The middleware returned by `mappPixelProxy()`; `tracker` is there to `close()` it on shutdown. */
export interface MappPixelProxyMiddleware extends RequestHandler {
  /** The tracker that queues lines (created from the options, or the one passed in). */
  readonly tracker: Tracker | undefined;
}

/**
 * Express 4/5 middleware for the Smart Pixel pass-through (docs/protocol.md §9). Mount it before
 * body parsers and before `mappTracking()`:
 * `app.use('/mapp/pixel', mappPixelProxy({ trackId, trackDomain, trustProxy: 'loopback' }))`.
 *
 * Invalid options throw here, at startup. Requests never throw: the browser always gets an
 * answer (the GIF when anything inside fails) and failures go to `onError`.
 */
export function mappPixelProxy(options: ExpressPixelProxyOptions = {}): MappPixelProxyMiddleware {
  const proxy = createNodePixelProxy<ExpressRequest>(options, process.env);
  const mountPath = options.mountPath ?? '';
  const middleware = function mappPixelProxyMiddleware(req: ExpressRequest, res: ExpressResponse, next: NextFunction): void {
    // Mounted without a path (`app.use(mappPixelProxy({ mountPath }))`): other requests go on.
    const path = req.url.split('?', 1)[0] ?? '';
    if (mountPath !== '' && path !== mountPath && !path.startsWith(`${mountPath}/`)) {
      next();
      return;
    }
    // `req.url` is relative to the mount and not normalised: the core checks it as received.
    void proxy.serve(req, req, res, { parsedBody: req.body, rawTarget: req.url });
  } as MappPixelProxyMiddleware;
  Object.defineProperty(middleware, 'tracker', { get: () => proxy.tracker, enumerable: true });
  return middleware;
}
