import type { Context, MiddlewareHandler, Next } from 'hono';
import { createRequestTracking, createTracker, fromWebRequest, type ResponseFacts, type Tracker } from '@mapp-s2s/core';
import { PendingCookie } from './cookies.js';
import { kit } from './kit.js';
import type { HonoTrackingOptions } from './options.js';
import { nodeIncoming, nodePageUrl, processEnv, waitUntilOf } from './runtime.js';

/** The middleware returned by `mappTracking()`; `tracker` is there to `close()` it on shutdown. */
export interface MappTrackingMiddleware extends MiddlewareHandler {
  /** The tracker this middleware sends to (created from the options, or the one passed in). */
  readonly tracker: Tracker;
}

/** Hono has no proxy setting of its own: nothing to point at. */
function noFrameworkTrust(): undefined {
  return undefined;
}

function responseFacts(c: Context): ResponseFacts {
  return { status: c.res.status, contentType: c.res.headers.get('content-type') ?? undefined };
}

/**
 * Hono middleware that sends one Mapp Intelligence page-view hit per page request, once the
 * rest of the chain has answered. Use it first: `app.use(mappTracking({ trackId, trackDomain,
 * trustProxy: 'loopback' }))`. Runs wherever Hono runs: on Node (`@hono/node-server`) and in
 * workers, where each send is handed to `c.executionCtx.waitUntil()` so the worker lives until
 * it is done (use the default `transport: 'direct'` there; on Node, `batch` or a tracker from
 * `@mapp-s2s/core/node` for `spool`).
 *
 * Invalid options throw here, at startup. During requests nothing is thrown: failures go to
 * `onError` (default: one warning per distinct message) and to the tracker's events.
 */
export function mappTracking(options: HonoTrackingOptions = {}): MappTrackingMiddleware {
  const { remoteAddress, ...adapterOptions } = options;
  // The worker's `waitUntil` of the request being finished. `finish()` hands the send over
  // synchronously, so this is set only around that call; concurrent requests never see it.
  let finishing: ((promise: Promise<unknown>) => void) | undefined;
  const trackerOptions = adapterOptions.tracker !== undefined || adapterOptions.waitUntil !== undefined ? adapterOptions : { ...adapterOptions, waitUntil: (promise: Promise<unknown>) => finishing?.(promise) };
  const tracking = createRequestTracking(trackerOptions, { states: kit.states, env: processEnv(), createTracker, frameworkTrustWarning: noFrameworkTrust });

  function finish(c: Context, cookie: PendingCookie): void {
    const state = kit.states.get(c);
    if (state === undefined) return;
    try {
      cookie.applyTo(c);
    } catch (error) {
      tracking.reportError(error, c);
    }
    finishing = waitUntilOf(c);
    try {
      tracking.finish(state, responseFacts, c);
    } finally {
      finishing = undefined;
    }
  }

  async function mappTrackingMiddleware(c: Context, next: Next): Promise<void> {
    if (!tracking.shouldTrack(c)) return next();
    const cookie = new PendingCookie();
    let ready: Promise<void> | undefined;
    try {
      // On Node the page URL keeps the path as received, not as the URL parser rewrote it,
      // and never takes scheme or host from an absolute-form target.
      const url = nodePageUrl(c) ?? c.req.url;
      const peer = remoteAddress !== undefined ? remoteAddress(c) : nodeIncoming(c)?.socket?.remoteAddress;
      const context = fromWebRequest({ method: c.req.method, url, headers: c.req.raw.headers }, { remoteAddress: peer });
      ready = tracking.start(c, context, undefined, cookie).ready;
    } catch (error) {
      tracking.reportError(error, c);
      return next();
    }
    if (ready !== undefined) await ready;
    // Hono's compose turns a handler's error into the `onError` response before this returns.
    await next();
    finish(c, cookie);
  }

  return Object.assign(mappTrackingMiddleware, { tracker: tracking.tracker });
}
