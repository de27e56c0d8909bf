import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { fromNodeRequest } from '@mapp-s2s/core/node';
import type { RequestContext, Tracker } from '@mapp-s2s/core';
import type { ExpressTrackingOptions } from './options.js';
import { createErrorReporter, eventError } from './report-error.js';
import { resolveTracker } from './resolve-tracker.js';
import { createProxyTrustCheck } from './proxy-trust-check.js';
import { getRequestState, isMarkedOptedOut, setRequestState, type RequestState } from './request-state.js';
import { onResponseDone } from './response-done.js';
import { appendSetCookie, removeSetCookie } from './set-cookie.js';

/** The middleware returned by `mappTracking()`; `tracker` is there to `close()` it on shutdown. */
export interface MappTrackingMiddleware extends RequestHandler {
  /** The tracker this middleware sends to (created from the options, or the one passed in). */
  readonly tracker: Tracker;
}

function responseContentType(res: Response): string | undefined {
  const value = res.getHeader('content-type');
  return value === undefined ? undefined : String(value);
}

/**
 * Express 4/5 middleware that sends one Mapp Intelligence page-view hit per page request,
 * after the response has finished. Mount it once, before your routes:
 * `app.use(mappTracking({ trackId, trackDomain, trustProxy: 'loopback' }))`.
 *
 * Invalid options throw here, at startup. During requests nothing is thrown: failures go to
 * `onError` (default: one warning per distinct message) and to the tracker's events.
 */
export function mappTracking(options: ExpressTrackingOptions = {}): MappTrackingMiddleware {
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

  function finish(req: Request, res: Response, state: RequestState, started: number): void {
    const visit = state.visit;
    if (state.optedOut || visit === undefined) return;
    // Closed before any header went out: the client aborted and got no page.
    if (!res.writableFinished && !res.headersSent) return;
    const context: RequestContext = {
      ...state.context,
      status: res.statusCode,
      contentType: responseContentType(res),
      durationMs: performance.now() - started,
    };
    // Failed sends arrive as tracker events; only a broken promise is ours to report.
    tracker.end(context, visit, state.data).catch((error: unknown) => reportError(error, req));
  }

  /** Registers the request and starts its visit; the returned promise never rejects. */
  function startRequest(req: Request, res: Response): Promise<unknown> {
    const started = performance.now();
    const context = fromNodeRequest(req); // reads req.originalUrl: Express strips the mount path from req.url
    checkProxyTrust(context, req.app?.get('trust proxy'));
    let setCookie: string | undefined;
    const begun = tracker.begin(context);
    const state: RequestState = {
      tracker,
      context,
      visit: undefined,
      visitReady: begun.then(
        (visit) => visit,
        () => undefined,
      ),
      data: {},
      optedOut: false,
      takeBackCookie: () => {
        if (setCookie !== undefined) removeSetCookie(res, setCookie);
        setCookie = undefined;
      },
      reportError: (error) => reportError(error, req),
    };
    setRequestState(req, state);
    onResponseDone(res, () => {
      try {
        finish(req, res, state, started);
      } catch (error) {
        reportError(error, req);
      }
    });
    return begun.then(
      (visit) => {
        state.visit = visit;
        if (visit.setCookie !== undefined && !res.headersSent && !state.optedOut) {
          setCookie = visit.setCookie;
          appendSetCookie(res, visit.setCookie);
        }
      },
      (error: unknown) => reportError(error, req),
    );
  }

  function mappTrackingMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (getRequestState(req) !== undefined) {
      if (!warnedTwice) {
        warnedTwice = true;
        logger.warn('[mapp-s2s] mappTracking() runs twice for the same request (mounted twice?); the second one does nothing, so each request is still tracked once.');
      }
      next();
      return;
    }
    if (isMarkedOptedOut(req)) {
      next();
      return;
    }
    let ready: Promise<unknown>;
    try {
      ready = startRequest(req, res);
    } catch (error) {
      reportError(error, req);
      next();
      return;
    }
    // The visit (and its cookie) must be settled before the route can send headers; with a
    // synchronous consent this costs microtasks only, no event-loop turn.
    ready.then(() => next()).catch((error: unknown) => reportError(error, req));
  }

  return Object.assign(mappTrackingMiddleware, { tracker }) as MappTrackingMiddleware;
}
