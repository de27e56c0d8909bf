import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Context, Middleware, Next } from 'koa';
import { createPixelProxy, createTracker, pixelGif, PIXEL_OPTION_KEYS } from '@mapp-s2s/core/node';
import type { PixelProxyOptions, Tracker } from '@mapp-s2s/core';

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

/** A syntactically valid `Host` value, or a neutral one so a hostile header cannot break the URL. */
function safeHost(value: string | undefined): string {
  return value !== undefined && /^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i.test(value) ? value : 'localhost';
}

function toHeaders(source: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || name.startsWith(':')) continue;
    try {
      if (Array.isArray(value)) for (const item of value) headers.append(name, item);
      else headers.set(name, value);
    } catch {
      // A header Node accepted but the Fetch API refuses: the proxy needs none of those.
    }
  }
  return headers;
}

/**
 * The request body as a web stream with backpressure. When the core stops reading (over the
 * cap) the rest is discarded rather than the socket destroyed, so the 413 can be written.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let onData: ((chunk: Buffer) => void) | undefined;
  let onEnd: (() => void) | undefined;
  let onError: ((error: Error) => void) | undefined;
  const detach = (): void => {
    if (onData !== undefined) req.removeListener('data', onData);
    if (onEnd !== undefined) req.removeListener('end', onEnd);
    if (onError !== undefined) req.removeListener('error', onError);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onData = (chunk) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      };
      onEnd = () => {
        detach();
        controller.close();
      };
      onError = (error) => {
        detach();
        controller.error(error);
      };
      req.on('data', onData);
      req.once('end', onEnd);
      req.once('error', onError);
    },
    pull() {
      req.resume();
    },
    cancel() {
      detach();
      req.resume();
    },
  });
}

/** Converts a Koa context into the web `Request` the core handler takes. */
function toWebRequest(ctx: Context): Request {
  const encrypted = (ctx.req.socket as { encrypted?: boolean }).encrypted === true;
  const method = ctx.method.toUpperCase();
  const init: RequestInit & { duplex?: 'half' } = { method, headers: toHeaders(ctx.req.headers) };
  if (method === 'POST') {
    // A body parser mounted earlier may have consumed the stream already.
    const parsed = (ctx.request as { body?: unknown }).body;
    if (typeof parsed === 'string') init.body = parsed;
    else if (Buffer.isBuffer(parsed)) init.body = new Uint8Array(parsed);
    else if (!ctx.req.readableEnded) {
      init.body = bodyStream(ctx.req);
      init.duplex = 'half';
    }
  }
  return new Request(`${encrypted ? 'https' : 'http'}://${safeHost(ctx.req.headers.host)}/`, init);
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
 * Koa 2/3 middleware for the Smart Pixel pass-through (PROTOCOL.md §9). Mount it before body
 * parsers and before `mappTracking()`: `app.use(mappPixelProxy({ trackId, trackDomain }))`
 * handles `/mapp/pixel` and everything below it and passes every other request on.
 *
 * Invalid options throw here, at startup. Requests never throw: the browser always gets an
 * answer (the GIF when anything inside fails) and failures go to `onError`.
 */
export function mappPixelProxy(options: KoaPixelProxyOptions = {}): MappPixelProxyMiddleware {
  const { onError, ...rest } = options;
  const mountPath = options.mountPath ?? '/mapp/pixel';
  const logger = options.logger ?? console;
  let tracker: Tracker | undefined = options.tracker;
  const handler = createPixelProxy({ ...rest, mountPath }, process.env, {
    // Node's tracker, so `transport: 'spool'` and the write-ahead log work here.
    createTracker: (all, env, settings) => {
      tracker = createTracker(all, env, { extraOptionKeys: [...settings.extraOptionKeys, ...PIXEL_OPTION_KEYS] });
      return tracker;
    },
  });
  const report = (error: unknown, ctx: Context): void => {
    const failure = error instanceof Error ? error : new Error(String(error));
    try {
      if (onError !== undefined) onError(failure, ctx);
      else logger.warn(`[mapp-s2s] pixel proxy failed (the browser got the GIF): ${failure.message}`);
    } catch (handlerError) {
      logger.error('[mapp-s2s] onError threw', handlerError);
    }
  };

  const middleware = async function mappPixelProxyMiddleware(ctx: Context, next: Next): Promise<void> {
    // The raw target, not `ctx.path`: decoding or normalising first would hide traversal tricks.
    const rawTarget = ctx.originalUrl;
    const path = rawTarget.split('?', 1)[0] ?? '';
    if (path !== mountPath && !path.startsWith(`${mountPath}/`)) {
      await next();
      return;
    }
    try {
      const response = await handler(toWebRequest(ctx), { remoteAddress: ctx.req.socket.remoteAddress, rawTarget });
      await writeResponse(ctx, response);
    } catch (error) {
      report(error, ctx);
      ctx.status = 200;
      ctx.type = 'image/gif';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = Buffer.from(pixelGif());
    }
  } as MappPixelProxyMiddleware;
  Object.defineProperty(middleware, 'tracker', { get: () => tracker, enumerable: true });
  return middleware;
}
