import type { Context, MiddlewareHandler, Next } from 'hono';
import { createPixelFailure, createPixelProxy, createTracker, PIXEL_OPTION_KEYS, type PixelProxyOptions, type Tracker } from '@mapp-s2s/core';
import { nodeIncoming, processEnv, rawTarget, targetPath, waitUntilOf } from './runtime.js';

/** Options of `mappPixelProxy()`: every core pass-through option plus `onError` and `remoteAddress`. */
export interface HonoPixelProxyOptions extends PixelProxyOptions {
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
  onError?: (error: Error, c: Context) => void;
  /** The TCP peer's address, as for `mappTracking()`. @default the Node socket's, else unknown */
  remoteAddress?: (c: Context) => string | undefined;
}

/** The middleware returned by `mappPixelProxy()`; `tracker` is there to `close()` it on shutdown. */
export interface MappPixelProxyMiddleware extends MiddlewareHandler {
  /** The tracker that queues lines (created from the options, or the one passed in). */
  readonly tracker: Tracker | undefined;
}

/**
 * Hono middleware for the Smart Pixel pass-through (docs/protocol.md §9):
 * `app.use(mappPixelProxy({ trackId, trackDomain, trustProxy: 'loopback' }))` handles
 * `/mapp/pixel` and everything below it and passes every other request on. Use it before
 * `mappTracking()` and before anything that reads the body.
 *
 * Invalid options throw here, at startup. Requests never throw: the browser always gets an
 * answer (the GIF when anything inside fails) and failures go to `onError`.
 */
export function mappPixelProxy(options: HonoPixelProxyOptions = {}): MappPixelProxyMiddleware {
  const { onError, remoteAddress, mountPath = '/mapp/pixel', ...pixelOptions } = options;
  let tracker = options.tracker;
  const handler = createPixelProxy({ ...pixelOptions, mountPath }, processEnv(), {
    createTracker: (all, env, settings) => (tracker = createTracker(all, env, { extraOptionKeys: [...settings.extraOptionKeys, ...PIXEL_OPTION_KEYS] })),
  });
  const fail = createPixelFailure(onError, options.logger ?? console);

  async function answer(c: Context, target: string | undefined): Promise<Response> {
    try {
      const peer = remoteAddress !== undefined ? remoteAddress(c) : nodeIncoming(c)?.socket?.remoteAddress;
      const web = await handler(c.req.raw, { remoteAddress: peer, rawTarget: target, waitUntil: waitUntilOf(c) });
      // Through `c.newResponse`: cookies earlier middleware set on `c` stay, Mapp's are appended.
      return c.newResponse(web.body, web);
    } catch (error) {
      return fail(error, c);
    }
  }

  const middleware = async function mappPixelProxyMiddleware(c: Context, next: Next): Promise<Response | void> {
    // The raw target where the runtime keeps it: normalising first would hide traversal tricks.
    const target = rawTarget(c);
    // An absolute-form target is matched by its path and handed over as received: the core refuses it.
    const path = target === undefined ? c.req.path : (targetPath(target).split('?', 1)[0] ?? '');
    if (path !== mountPath && !path.startsWith(`${mountPath}/`)) return next();
    return answer(c, target);
  } as MappPixelProxyMiddleware;
  Object.defineProperty(middleware, 'tracker', { get: () => tracker, enumerable: true });
  return middleware;
}
