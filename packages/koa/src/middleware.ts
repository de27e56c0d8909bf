import type { Context, Middleware, Next } from 'koa';
import { createTracker, fromNodeRequest } from '@mapp-s2s/core/node';
import type { HitData, RequestContext, Tracker, TrackResult } from '@mapp-s2s/core';
import type { KoaTrackingOptions, PageHitData } from './options.js';
import { createErrorReporter } from './report-error.js';
import { createProxyTrustCheck } from './proxy-trust-check.js';
import { getRequestState, isMarkedOptedOut, optOutRequest, setRequestState, type RequestState } from './request-state.js';
import { removeSetCookie } from './set-cookie.js';
import { trackEvent, trackPage } from './track-page.js';

/** The middleware returned by `mappTracking()`; `tracker` is there to `close()` it on shutdown. */
export interface MappTrackingMiddleware extends Middleware {
  /** The tracker this middleware sends to (created from the options, or the one passed in). */
  readonly tracker: Tracker;
}

/** Per-request helpers at `ctx.state.mapp`, the same as the `trackPage(ctx, …)` family. */
export interface MappStateHelpers {
  /** Adds data to this request's page-view hit (see `trackPage`). */
  trackPage(data: PageHitData): void;
  /** Sends a backend event sharing this request's visitor (see `trackEvent`). */
  trackEvent(data: HitData): Promise<TrackResult>;
  /** Drops this request's page view (see `noTracking`). */
  noTracking(): void;
}

function resolveTracker(options: KoaTrackingOptions): { tracker: Tracker; ownsTracker: boolean } {
  const { tracker, onError: _onError, ...trackerOptions } = options;
  if (tracker === undefined) return { tracker: createTracker(trackerOptions, process.env), ownsTracker: true };
  const extra = Object.keys(trackerOptions).filter((key) => key !== 'logger');
  if (extra.length > 0) {
    throw new TypeError(`mappTracking(): pass either \`tracker\` or tracker options, not both (also got: ${extra.join(', ')}). Give these options to createTracker() instead.`);
  }
  return { tracker, ownsTracker: false };
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
    const helpers: MappStateHelpers = {
      trackPage: (data) => trackPage(ctx, data),
      trackEvent: (data) => trackEvent(ctx, data),
      noTracking: () => optOutRequest(ctx),
    };
    (ctx.state as Record<string, unknown>)['mapp'] = helpers;
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
    tracker.end(context, visit, state.data).then(
      (result) => {
        if (result.status === 'failed') reportError(result.error, ctx);
      },
      (error: unknown) => reportError(error, ctx),
    );
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
