import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TrackerEnv } from '../options.js';
import { createPixelProxy } from '../pixel/create-pixel-proxy.js';
import { createPixelFailure } from '../pixel/pixel-failure.js';
import { PIXEL_OPTION_KEYS } from '../pixel/pixel-options.js';
import type { PixelProxyOptions } from '../pixel/types.js';
import type { Tracker } from '../types.js';
import { createTracker } from './create-tracker.js';
import { appendSetCookie } from './set-cookie.js';
import { toWebRequest } from './to-web-request.js';

/** Pixel-proxy options plus the adapter's `onError`; `R` is the framework's request. @internal */
export interface NodePixelProxyOptions<R> extends PixelProxyOptions {
  /**
   * Receives failures of the adapter itself (the browser still gets the GIF).
   * @default one `logger.warn` per failure
   */
  onError?: (error: Error, request: R) => void;
}

/** What a Node request carries besides the stream. @internal */
export interface NodePixelRequest {
  /** The body, when a body parser already consumed the stream. */
  readonly parsedBody?: unknown;
  /** The request target exactly as received, checked before any normalisation. */
  readonly rawTarget: string;
}

/** The Smart Pixel pass-through for a Node framework; the adapter writes the answers. @internal */
export interface NodePixelProxy<R> {
  /** The tracker that queues lines (created from the options, or the one passed in), once known. */
  readonly tracker: Tracker | undefined;
  /** Answers one pixel request. Never rejects: a failure goes to `onError` and the answer is the GIF. */
  answer(request: R, req: IncomingMessage, extras: NodePixelRequest): Promise<Response>;
  /** Reports a failure (e.g. writing the answer) and returns the GIF to send instead. */
  fail(error: unknown, request: R): Response;
  /**
   * Answers one pixel request and writes the answer to the Node response (Express's `res`
   * included), the GIF when writing fails. Never rejects.
   */
  serve(request: R, req: IncomingMessage, res: ServerResponse, extras: NodePixelRequest): Promise<void>;
}

/**
 * Builds the pass-through for a Node adapter (`mappPixelProxy()` of Express and Koa) with
 * Node's tracker, so `transport: 'spool'` and the write-ahead log work. Invalid options throw
 * here, at startup.
 * @internal
 */
export function createNodePixelProxy<R>(options: NodePixelProxyOptions<R>, env: TrackerEnv): NodePixelProxy<R> {
  const { onError, ...pixelOptions } = options;
  const logger = options.logger ?? console;
  let tracker: Tracker | undefined = options.tracker;
  const handler = createPixelProxy(pixelOptions, env, {
    createTracker: (all, trackerEnv, settings) => {
      tracker = createTracker(all, trackerEnv, { extraOptionKeys: [...settings.extraOptionKeys, ...PIXEL_OPTION_KEYS] });
      return tracker;
    },
  });

  const fail = createPixelFailure(onError, logger);

  async function answer(request: R, req: IncomingMessage, { parsedBody, rawTarget }: NodePixelRequest): Promise<Response> {
    try {
      return await handler(toWebRequest(req, parsedBody), { remoteAddress: req.socket.remoteAddress, rawTarget });
    } catch (error) {
      return fail(error, request);
    }
  }

  return {
    get tracker() {
      return tracker;
    },
    answer,
    fail,
    serve: (request, req, res, extras) =>
      answer(request, req, extras)
        .then((response) => writeNodeResponse(res, response))
        .catch((error: unknown) => writeNodeResponse(res, fail(error, request)))
        .catch((error: unknown) => void fail(error, request)),
  };
}

/**
 * Writes a pass-through answer to a Node response (Express's `res` included): status, headers,
 * and `Set-Cookie` values appended, so cookies other middleware set stay. Nothing when the
 * headers already went out.
 * @internal
 */
export async function writeNodeResponse(res: ServerResponse, web: Response): Promise<void> {
  const body = web.body === null ? undefined : Buffer.from(await web.arrayBuffer());
  if (res.headersSent) return;
  res.statusCode = web.status;
  web.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  for (const cookie of web.headers.getSetCookie()) appendSetCookie(res, cookie);
  res.end(body);
}
