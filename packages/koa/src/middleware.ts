import type { Context, Middleware, Next } from 'koa';
import { fromNodeRequest } from '@mapp-s2s/core/node';
import type { RequestContext, Tracker } from '@mapp-s2s/core';
import type { KoaTrackingOptions } from './options.js';
import { createErrorReporter, eventError } from './report-error.js';
import { resolveTracker } from './resolve-tracker.js';
import { createProxyTrustCheck } from './proxy-trust-check.js';
import { getRequestState, isMarkedOptedOut, setRequestState, type RequestState } from './request-state.js';
import { removeSetCookie } from './set-cookie.js';
import { createStateHelpers } from './state-helpers.js';

/** The middleware returned by `mappTracking()`; `tracker` is there to `close()` it on shutdown. */
export interface MappTrackingMiddleware extends Middleware {
  /** The tracker this middleware sends to (created from the options, or the one passed in). */
  readonly tracker: Tracker;
}

/** The status Koa will answer with when `error` escapes the middleware chain (as `ctx.onerror` does). */
function errorStatus(error: unknown): number {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}

/**
 * Koa 2/3 middleware that sends one Mapp Intelligence page-view hit per page request, once
 * the rest of the chain has run. Mount it first: `app.use(mappTracking({ trackId,
 * trackDomain, trustProxy: 'loopback' }))`.
 *
 * Invalid options throw here, at startup. During requests nothing is thrown: failures go to
 * `onError` (default: one warning per distinct message) and to the tracker's events, never
 * to Koa's error handling. Nothing after `await next()` waits for the network.
 */
export function mappTracking(options: KoaTrackingOptions = {}): MappTrackingMiddleware {
  const { tracker, ownsTracker } = resolveTracker(options);
  const logger = options.logger ?? console;
  const reportError = createErrorReporter(options.onError, logger);
  const trustConfigured = !ownsTracker || options.trustProxy !== undefined || process.env['MAPP_TRUST_PROXY'] !== undefined;
  const checkProxyTrust = createProxyTrustCheck(trustConfigured, logger);
  // Send failures surface as tracker events (background batches have no request to blame).
  // A shared tracker's events belong to whoever created it.
  if (ownsTracker) {
    tracker.on((event) => {
      const error = eventError(event);
      if (error !== undefined) reportError(error, undefined);
    });
  }
  let warnedTwice = false;

  /** Registers the request and settles its visit and cookie; never rejects. */
  function startRequest(ctx: Context): Promise<RequestState> {
    const started = performance.now();
    const context = fromNodeRequest({ method: ctx.req.method, url: ctx.originalUrl, headers: ctx.req.headers, socket: ctx.req.socket });
    checkProxyTrust(context, ctx.app.proxy);
    let setCookie: string | undefined;
    const begun = tracker.begin(context);
    const state: RequestState = {
      tracker,
      context,
      started,
      visit: undefined,
      visitReady: begun.then(
        (visit) => visit,
        () => undefined,
      ),
      data: {},
      optedOut: false,
      takeBackCookie: () => {
        if (setCookie !== undefined) removeSetCookie(ctx.res, setCookie);
        setCookie = undefined;
      },
      reportError: (error) => reportError(error, ctx),
    };
    setRequestState(ctx, state);
    ctx.state.mapp = createStateHelpers(ctx);
    return begun.then(
      (visit) => {
        state.visit = visit;
        if (visit.setCookie !== undefined && !ctx.headerSent && !state.optedOut) {
          setCookie = visit.setCookie;
          ctx.append('Set-Cookie', visit.setCookie);
        }
        return state;
      },
      (error: unknown) => {
        reportError(error, ctx);
        return state;
      },
    );
  }

  /** Hands the finished request to the tracker without waiting for it. */
  function finish(ctx: Context, state: RequestState, failure: { error: unknown } | undefined): void {
    const visit = state.visit;
    if (state.optedOut || visit === undefined) return;
    // The client went away before Koa could answer: there is no page to count.
    if (ctx.res.destroyed && !ctx.res.headersSent) return;
    const contentType = failure === undefined ? ctx.response.get('Content-Type') : '';
    const context: RequestContext = {
      ...state.context,
      status: failure === undefined ? ctx.status : errorStatus(failure.error),
      contentType: contentType === '' ? undefined : contentType,
      durationMs: performance.now() - state.started,
    };
    // Failed sends arrive as tracker events; only a broken promise is ours to report.
    tracker.end(context, visit, state.data).catch((error: unknown) => reportError(error, ctx));
  }

  async function mappTrackingMiddleware(ctx: Context, next: Next): Promise<void> {
    if (getRequestState(ctx) !== undefined) {
      if (!warnedTwice) {
        warnedTwice = true;
        logger.warn('[mapp-s2s] mappTracking() runs twice for the same request (mounted twice?); the second one does nothing, so each request is still tracked once.');
      }
      await next();
      return;
    }
    if (isMarkedOptedOut(ctx)) {
      await next();
      return;
    }
    let state: RequestState | undefined;
    try {
      // The cookie must be on the response before the route can send headers; with a
      // synchronous consent this costs microtasks only, no event-loop turn.
      state = await startRequest(ctx);
    } catch (error) {
      reportError(error, ctx);
    }
    let failure: { error: unknown } | undefined;
    try {
      await next();
    } catch (error) {
      failure = { error };
      throw error;
    } finally {
      if (state !== undefined) {
        try {
          finish(ctx, state, failure);
        } catch (error) {
          reportError(error, ctx);
        }
      }
    }
  }

  return Object.assign(mappTrackingMiddleware, { tracker }) as MappTrackingMiddleware;
}
