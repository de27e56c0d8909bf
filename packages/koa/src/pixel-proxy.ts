import type { Context, Middleware, Next } from 'koa';
import { createNodePixelProxy, pixelGif, type PixelProxyOptions, type Tracker } from '@mapp-s2s/core/node';

/** Options of `mappPixelProxy()`: every core pass-through option plus `onError`. */
export interface KoaPixelProxyOptions extends PixelProxyOptions {
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
  onError?: (error: Error, ctx: Context) => void;
}

/** The middleware returned by `mappPixelProxy()`; `tracker` is there to `close()` it on shutdown. */
export interface MappPixelProxyMiddleware extends Middleware {
  /** The tracker that queues lines (created from the options, or the one passed in). */
  readonly tracker: Tracker | undefined;
}

async function writeResponse(ctx: Context, web: Response): Promise<void> {
  const body = web.body === null ? null : Buffer.from(await web.arrayBuffer());
  ctx.status = web.status;
  web.headers.forEach((value, name) => {
    if (name !== 'set-cookie' && name !== 'content-length') ctx.set(name, value);
  });
  // `append` keeps cookies other middleware already set on this response.
  for (const cookie of web.headers.getSetCookie()) ctx.append('Set-Cookie', cookie);
  if (body !== null) ctx.body = body;
  else if (ctx.method === 'HEAD') {
    // Koa never writes a HEAD body; the length still tells the size of the GIF.
    ctx.body = Buffer.from(pixelGif());
  } else ctx.body = null;
}

/**
 * Koa 2/3 middleware for the Smart Pixel pass-through (docs/protocol.md §9). Mount it before body
 * parsers and before `mappTracking()`: `app.use(mappPixelProxy({ trackId, trackDomain }))`
 * handles `/mapp/pixel` and everything below it and passes every other request on.
 *
 * Invalid options throw here, at startup. Requests never throw: the browser always gets an
 * answer (the GIF when anything inside fails) and failures go to `onError`.
 */
export function mappPixelProxy(options: KoaPixelProxyOptions = {}): MappPixelProxyMiddleware {
  const mountPath = options.mountPath ?? '/mapp/pixel';
  const proxy = createNodePixelProxy<Context>({ ...options, mountPath }, process.env);
  const middleware = async function mappPixelProxyMiddleware(ctx: Context, next: Next): Promise<void> {
    // The raw target, not `ctx.path`: decoding or normalising first would hide traversal tricks.
    const rawTarget = ctx.originalUrl;
    const path = rawTarget.split('?', 1)[0] ?? '';
    if (path !== mountPath && !path.startsWith(`${mountPath}/`)) {
      await next();
      return;
    }
    const response = await proxy.answer(ctx, ctx.req, { parsedBody: (ctx.request as { body?: unknown }).body, rawTarget });
    try {
      await writeResponse(ctx, response);
    } catch (error) {
      await writeResponse(ctx, proxy.fail(error, ctx));
    }
  } as MappPixelProxyMiddleware;
  Object.defineProperty(middleware, 'tracker', { get: () => proxy.tracker, enumerable: true });
  return middleware;
}
