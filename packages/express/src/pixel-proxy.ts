import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { NextFunction, Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from 'express';
import { createPixelProxy, createTracker, pixelGif, PIXEL_OPTION_KEYS } from '@mapp-s2s/core/node';
import type { PixelProxyOptions, Tracker } from '@mapp-s2s/core';

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
 * The request body as a web stream that pauses Node's stream while the reader is behind
 * (backpressure) and, when the core stops reading (over the cap), discards the rest instead
 * of destroying the socket, so the 413 answer can still be written.
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

/** Converts an Express request into the web `Request` the core handler takes. */
function toWebRequest(req: ExpressRequest): Request {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const url = `${encrypted ? 'https' : 'http'}://${safeHost(req.headers.host)}/`;
  const method = (req.method ?? 'GET').toUpperCase();
  const init: RequestInit & { duplex?: 'half' } = { method, headers: toHeaders(req.headers) };
  if (method === 'POST') {
    // A body parser mounted earlier may have consumed the stream already.
    const parsed: unknown = req.body;
    if (typeof parsed === 'string') init.body = parsed;
    else if (Buffer.isBuffer(parsed)) init.body = new Uint8Array(parsed);
    else if (!req.readableEnded) {
      init.body = bodyStream(req);
      init.duplex = 'half';
    }
  }
  return new Request(url, init);
}

async function writeResponse(res: ExpressResponse, web: Response): Promise<void> {
  const body = web.body === null ? undefined : Buffer.from(await web.arrayBuffer());
  if (res.headersSent) return;
  res.status(web.status);
  web.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  // `append` keeps cookies other middleware already set on this response.
  for (const cookie of web.headers.getSetCookie()) res.append('Set-Cookie', cookie);
  res.end(body);
}

/**
 * Express 4/5 middleware for the Smart Pixel pass-through (PROTOCOL.md §9). Mount it before
 * body parsers and before `mappTracking()`:
 * `app.use('/mapp/pixel', mappPixelProxy({ trackId, trackDomain, trustProxy: 'loopback' }))`.
 *
 * Invalid options throw here, at startup. Requests never throw: the browser always gets an
 * answer (the GIF when anything inside fails) and failures go to `onError`.
 */
export function mappPixelProxy(options: ExpressPixelProxyOptions = {}): MappPixelProxyMiddleware {
  const { onError, ...pixelOptions } = options;
  const logger = options.logger ?? console;
  let tracker: Tracker | undefined = options.tracker;
  const handler = createPixelProxy(pixelOptions, process.env, {
    // Node's tracker, so `transport: 'spool'` and the write-ahead log work here.
    createTracker: (all, env, settings) => {
      tracker = createTracker(all, env, { extraOptionKeys: [...settings.extraOptionKeys, ...PIXEL_OPTION_KEYS] });
      return tracker;
    },
  });
  const report = (error: unknown, req: ExpressRequest): void => {
    const failure = error instanceof Error ? error : new Error(String(error));
    try {
      if (onError !== undefined) onError(failure, req);
      else logger.warn(`[mapp-s2s] pixel proxy failed (the browser got the GIF): ${failure.message}`);
    } catch (handlerError) {
      logger.error('[mapp-s2s] onError threw', handlerError);
    }
  };

  const mountPath = options.mountPath ?? '';
  const middleware = function mappPixelProxyMiddleware(req: ExpressRequest, res: ExpressResponse, next: NextFunction): void {
    // Mounted without a path (`app.use(mappPixelProxy({ mountPath }))`): other requests go on.
    const path = req.url.split('?', 1)[0] ?? '';
    if (mountPath !== '' && path !== mountPath && !path.startsWith(`${mountPath}/`)) {
      next();
      return;
    }
    let request: Request;
    try {
      request = toWebRequest(req);
    } catch (error) {
      report(error, req);
      if (!res.headersSent) res.status(200).type('image/gif').set('Cache-Control', 'no-store').end(Buffer.from(pixelGif()));
      return;
    }
    // `req.url` is relative to the mount and not normalised: the core checks it as received.
    handler(request, { remoteAddress: req.socket.remoteAddress, rawTarget: req.url })
      .then((response) => writeResponse(res, response))
      .catch((error: unknown) => {
        report(error, req);
        if (!res.headersSent) res.status(200).type('image/gif').end(Buffer.from(pixelGif()));
      });
  } as MappPixelProxyMiddleware;
  Object.defineProperty(middleware, 'tracker', { get: () => tracker, enumerable: true });
  return middleware;
}
