import type { IncomingMessage, ServerResponse } from 'node:http';
import { createNodePixelProxy, type PixelProxyOptions, type Tracker } from '@mapp-s2s/core/node';

/** Options of `mappPixelProxy()`: every core pass-through option plus `onError`. */
export interface NestPixelProxyOptions extends PixelProxyOptions {
  /**
   * Requests under this path are handled; all others go on to `next()`.
   * @default '/mapp/pixel'
   */
  mountPath?: string;
  /**
   * Receives failures of the adapter itself (the browser still gets the GIF). Pass-through
   * outcomes (refusals, fallbacks) arrive at `onPixelEvent`.
   * @default one `logger.warn` per failure
   */
  onError?: (error: Error, req: IncomingMessage) => void;
}

/** The middleware returned by `mappPixelProxy()`; `tracker` is there to `close()` it on shutdown. */
export interface MappPixelProxyMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  /** The tracker that queues lines (created from the options, or the one passed in). */
  readonly tracker: Tracker | undefined;
}

/**
 * Smart Pixel pass-through (docs/protocol.md §9) as Node middleware for either Nest platform:
 * `app.use(mappPixelProxy({ trackId, trackDomain, trustProxy: 'loopback' }))` in `main.ts`
 * handles `/mapp/pixel` and everything below it, before Nest's routing (so no page view
 * either), and passes every other request on. On the Express platform the beacon's
 * `text/plain` body is read from the stream (Nest's default parsers leave it).
 *
 * Invalid options throw here, at startup. Requests never throw: the browser always gets an
 * answer (the GIF when anything inside fails) and failures go to `onError`.
 */
export function mappPixelProxy(options: NestPixelProxyOptions = {}): MappPixelProxyMiddleware {
  const mountPath = options.mountPath ?? '/mapp/pixel';
  const proxy = createNodePixelProxy<IncomingMessage>({ ...options, mountPath }, process.env);
  const middleware = function mappPixelProxyMiddleware(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void {
    // The raw target: decoding or normalising first would hide traversal tricks.
    const rawTarget = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const path = rawTarget.split('?', 1)[0] ?? '';
    if (path !== mountPath && !path.startsWith(`${mountPath}/`)) {
      next();
      return;
    }
    void proxy.serve(req, req, res, { parsedBody: (req as { body?: unknown }).body, rawTarget });
  } as MappPixelProxyMiddleware;
  Object.defineProperty(middleware, 'tracker', { get: () => proxy.tracker, enumerable: true });
  return middleware;
}
