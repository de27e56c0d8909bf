import type { Tracker, TrackerOptions, TrackResult, Transport } from '../types.js';
import type { DroppedRequests, PageNamePattern } from './dropped-requests.js';

/**
 * `forward`: send each pixel hit to Mapp while the browser waits (short timeout), as one GET
 * of up to the pixel's own 30,720 characters. `queue`: hand it to the tracker's transport and
 * answer at once. Either way the browser gets our own answer, never Mapp's body.
 */
export type PixelProxyMode = 'forward' | 'queue';

/** Why a pixel request was refused with a 4xx (nothing was sent). */
export type PixelRejectReason = 'method' | 'path' | 'track-id' | 'query' | 'body-too-large' | 'body' | 'content-type';

/**
 * Why an accepted pixel hit was not sent (the browser still gets the GIF, or `204` for a
 * beacon). `too-large`: a query (or beacon line) over `maxQueryLength`, by default the
 * Smart Pixel's own 30,720-character cut, which the pixel never sends.
 */
export type PixelSkipReason = 'opt-out' | 'consent' | 'privacy-signal' | 'dropped-requests' | 'too-large' | 'head';

/** What the proxy reports through `onPixelEvent`; never thrown, never awaited. */
export type PixelProxyEvent =
  | { type: 'rejected'; status: number; reason: PixelRejectReason }
  | { type: 'skipped'; reason: PixelSkipReason; lines: number }
  /** Browser-sent `X-WT-IP`/`-UA`/`-RQ`/`-SEC-CH-UA*` pairs that were removed. */
  | { type: 'spoof-removed'; pairs: number }
  /**
   * Pairs dropped because the pixel never writes them (the rest of the hit is kept): no `=`,
   * a key that is not a plain name (`[A-Za-z0-9_-]+`) once fully percent-decoded, a malformed
   * escape, invalid UTF-8 or a repeated name.
   */
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
  /** `forward` (send to Mapp while the browser waits) or `queue` (answer at once, send in the background). Env `MAPP_PIXEL_MODE`. @default 'queue' */
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
  /**
   * Page names `droppedRequests` applies to: exact names, names with `*` wildcards (anchored
   * at both ends, matched in linear time) or RegExps (used as given: keep them cheap on long
   * page names). @default [/.+/] (all)
   */
  blacklist?: readonly PageNamePattern[];
  /**
   * Longest query (or beacon line) passed on, in characters, at most 30,720: the pixel cuts
   * its URLs there. A longer one is answered as usual and reported as `skipped`/`too-large`.
   * Node's own header limit (16 KB by default) answers `431` first unless raised.
   * @default 30720
   */
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
