import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createTracker, fromNodeRequest } from '@mapp-s2s/core/node';
import type { RequestContext, Tracker } from '@mapp-s2s/core';
import type { ExpressTrackingOptions } from './options.js';
import { createErrorReporter } from './report-error.js';
import { createProxyTrustCheck } from './proxy-trust-check.js';
import { getRequestState, isMarkedOptedOut, setRequestState, type RequestState } from './request-state.js';
import { onResponseDone } from './response-done.js';
import { appendSetCookie, removeSetCookie } from './set-cookie.js';

/** The middleware returned by `mappTracking()`; `tracker` is there to `close()` it on shutdown. */
export interface MappTrackingMiddleware extends RequestHandler {
  /** The tracker this middleware sends to (created from the options, or the one passed in). */
  readonly tracker: Tracker;
}

function resolveTracker(options: ExpressTrackingOptions): { tracker: Tracker; ownsTracker: boolean } {
  const { tracker, onError: _onError, ...trackerOptions } = options;
  if (tracker === undefined) return { tracker: createTracker(trackerOptions, process.env), ownsTracker: true };
  const extra = Object.keys(trackerOptions).filter((key) => key !== 'logger');
  if (extra.length > 0) {
    throw new TypeError(`mappTracking(): pass either \`tracker\` or tracker options, not both (also got: ${extra.join(', ')}). Give these options to createTracker() instead.`);
  }
  return { tracker, ownsTracker: false };
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
    tracker.end(context, visit, state.data).then(
      (result) => {
        if (result.status === 'failed') reportError(result.error, req);
      },
      (error: unknown) => reportError(error, req),
    );
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
