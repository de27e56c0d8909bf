import type { Tracker, TrackerOptions, TrackResult, Transport } from '../types.js';
import type { DroppedRequests, PageNamePattern } from './dropped-requests.js';

/**
 * `forward`: send each pixel hit to Mapp while the browser waits (short timeout), and relay
 * Mapp's answer. `queue`: hand it to the tracker's transport and answer the GIF at once.
 */
export type PixelProxyMode = 'forward' | 'queue';

/** Why a pixel request was refused with a 4xx (nothing was sent). */
export type PixelRejectReason = 'method' | 'path' | 'track-id' | 'query' | 'query-too-long' | 'body-too-large' | 'body' | 'content-type';

/** Why an accepted pixel hit was not sent (the browser still gets the GIF). */
export type PixelSkipReason = 'opt-out' | 'consent' | 'privacy-signal' | 'dropped-requests' | 'too-large' | 'head';

/** What the proxy reports through `onPixelEvent`; never thrown, never awaited. */
export type PixelProxyEvent =
  | { type: 'rejected'; status: number; reason: PixelRejectReason }
  | { type: 'skipped'; reason: PixelSkipReason; lines: number }
  /** Browser-sent `X-WT-IP`/`-UA`/`-RQ`/`-SEC-CH-UA*` pairs that were removed. */
  | { type: 'spoof-removed'; pairs: number }
  /** Pairs dropped for a malformed percent-escape or invalid UTF-8 (the rest of the hit is kept). */
  | { type: 'malformed-removed'; pairs: number }
  | { type: 'forwarded'; status: number; lines: number; latencyMs: number }
  | { type: 'fallback'; reason: 'timeout' | 'network' | 'status'; lines: number; detail?: string }
  | { type: 'queued'; result: TrackResult }
  /** An unexpected failure inside the proxy; the browser got the GIF. */
  | { type: 'error'; error: Error };

/**
 * Options of `createPixelProxy`: every tracker option (track id and domain, `trustProxy`,
 * cookie, privacy rules…) plus the pass-through settings below.
 */
export interface PixelProxyOptions extends TrackerOptions {
  /** `forward` (relay Mapp's answer) or `queue` (answer the GIF, send in the background). Env `MAPP_PIXEL_MODE`. @default 'queue' */
  mode?: PixelProxyMode;
  /**
   * The tracker whose transport receives queued lines and whose events you already watch.
   * @default a tracker created from these options (main entry: `direct`/`batch`; adapters on
   * Node create it with `@mapp-s2s/core/node`, so `spool` works there).
   */
  tracker?: Tracker;
  /** `forward` mode: ms to wait for Mapp before answering the GIF and using the fallback. @default 1000 */
  forwardTimeout?: number;
  /**
   * `forward` mode: where a hit goes when Mapp is slow, down or answers 5xx/408/429 — a
   * tracker (its `sendLine`) or a transport — or `false` to drop it (counted in events).
   * @default the proxy's tracker
   */
  fallback?: Tracker | Transport | false;
  /**
   * Server-cookie mode: when neither the pixel nor a cookie carries an eid, mint one, add it
   * to the hit (with `one=1`) and set the visitor cookie (`cookie` options) on the answer.
   * @default false (the pixel owns the visitor id)
   */
  serverCookie?: boolean;
  /** Pixel hits the server tracks itself and drops (`0` none, `1` orders, `2` products view/add/conf, `3` page hits). @default 0 */
  droppedRequests?: DroppedRequests;
  /** Page names `droppedRequests` applies to: exact names, `*` wildcards or RegExps. @default [/.+/] (all) */
  blacklist?: readonly PageNamePattern[];
  /** Longest accepted query in characters (the pixel cuts its URLs at 30,720). @default 30720 */
  maxQueryLength?: number;
  /** Largest accepted beacon body in bytes. @default 65536 */
  maxBodyBytes?: number;
  /** Most lines accepted in one beacon body. @default 100 */
  maxBodyLines?: number;
  /**
   * Path prefix the handler strips from the request path when the framework does not
   * (Next.js route, Koa router). Express's `app.use(mount, …)` strips it itself.
   * @default ''
   */
  mountPath?: string;
  /** Receives pass-through events (rejections, skips, fallbacks…). */
  onPixelEvent?: (event: PixelProxyEvent) => void;
}

/** Per-request facts a web `Request` lacks, given by the adapter. */
export interface PixelRequestExtras {
  /** TCP peer address; the client IP is derived from it with `trustProxy`. */
  remoteAddress?: string | undefined;
  /**
   * The request target exactly as received (`/path?query`), when the framework has it.
   * Checked for traversal tricks before the WHATWG parser of `Request.url` could normalise them away.
   */
  rawTarget?: string | undefined;
  /** Overrides `options.mountPath` for this request. */
  mountPath?: string | undefined;
  /** Keeps a serverless function alive until a queued send finishes (Next's `event.waitUntil`). */
  waitUntil?: ((promise: Promise<unknown>) => void) | undefined;
}

/** The framework-neutral handler returned by `createPixelProxy`. Never rejects. */
export type PixelProxyHandler = (request: Request, extras?: PixelRequestExtras) => Promise<Response>;
