import type { TrackerEnv } from '../options.js';
import { isThenable } from '../privacy.js';
import { trackerInternals } from '../tracker-internals.js';
import type { RequestContext, Tracker, TrackerOptions } from '../types.js';
import type { AdapterTrackingOptions } from './adapter-options.js';
import { createProxyTrustCheck, type FrameworkTrustWarning } from './proxy-trust-check.js';
import { createDropWarnings } from '../drop-warnings.js';
import { createErrorReporter } from './report-error.js';
import type { RequestState, RequestStateStore } from './request-state.js';
import { resolveAdapterTracker } from './resolve-tracker.js';
import { TrackedRequest } from './tracked-request.js';

function noop(): void {}

/** How the adapter reaches the response's `Set-Cookie` header. @internal */
export interface ResponseCookies {
  /**
   * Adds one `Set-Cookie` value, keeping the others; `false` when the headers were already
   * sent and nothing was added (asked of the response only then: reading `headersSent` on
   * every request costs, on an Express response, more than the append).
   */
  append(value: string): boolean;
  /** Takes back a value added by `append`, while headers are unsent. */
  remove(value: string): void;
}

/** What `createRequestTracking()` needs from the adapter. @internal */
export interface RequestTrackingSettings {
  readonly states: RequestStateStore;
  /** Environment fallback for tracker options (adapters pass `process.env`). */
  readonly env: TrackerEnv;
  /** Makes the tracker when none is shared (adapters pass `@mapp-s2s/core/node`'s). */
  readonly createTracker: (options: TrackerOptions, env: TrackerEnv) => Tracker;
  readonly frameworkTrustWarning: FrameworkTrustWarning;
}

/** The response facts known once the request is done. @internal */
export interface ResponseFacts {
  readonly status: number;
  readonly contentType: string | undefined;
}

/** One `mappTracking()` instance's request lifecycle, framework-neutral. @internal */
export interface RequestTracking<R> {
  readonly tracker: Tracker;
  /**
   * Whether `start()` still wants the framework's own proxy setting (to point at it once when
   * `trustProxy` is unset); when `false`, pass `undefined` and skip reading it per request.
   */
  readonly wantsFrameworkTrust: boolean;
  reportError(error: unknown, request: R | undefined): void;
  /**
   * Whether to start tracking this request: not when `optOut` already marked it, nor when
   * another `mappTracking()` handles it (mounted twice; warned about once).
   */
  shouldTrack(request: R): boolean;
  /**
   * Registers the request's state at once and begins its visit; `ready` settles (never
   * rejects) once the visitor cookie, if any, is on the response. It is `undefined` when
   * that already happened synchronously (consent and skip answered at once, the default):
   * the adapter can go on without a microtask. The framework's own proxy
   * setting is passed only to point at it when `trustProxy` is unset.
   */
  start(request: R, context: RequestContext, frameworkTrust: unknown, cookies: ResponseCookies): { state: RequestState; ready: Promise<void> | undefined };
  /**
   * Hands the finished request to the tracker without waiting for it. `readResponse(arg)` reads
   * the framework's response (inside this call's error handling) and returns `undefined`
   * when there is no page to count, e.g. the client aborted before any header went out.
   * Never throws: it runs in `finish`/`close` listeners and `finally` blocks.
   */
  finish<A>(state: RequestState, readResponse: (arg: A) => ResponseFacts | undefined, arg: A): void;
}

/**
 * Builds the framework-neutral part of an adapter's `mappTracking()`. Invalid options throw
 * here, at startup; afterwards failures go to `onError` (default: one warning per distinct
 * message) and never to the app.
 * @internal
 */
export function createRequestTracking<R extends object>(options: AdapterTrackingOptions<R>, settings: RequestTrackingSettings): RequestTracking<R> {
  const { states, env } = settings;
  const { tracker, ownsTracker } = resolveAdapterTracker(options, (trackerOptions) => settings.createTracker(trackerOptions, env));
  const logger = options.logger ?? console;
  const reportError = createErrorReporter(options.onError, logger);
  const trustConfigured = !ownsTracker || options.trustProxy !== undefined || env['MAPP_TRUST_PROXY'] !== undefined;
  const checkProxyTrust = createProxyTrustCheck(trustConfigured, logger, settings.frameworkTrustWarning);
  // Send failures surface as tracker events (background batches have no request to blame).
  // A shared tracker's events belong to whoever created it. Lost hits are already warned
  // about by the tracker (rate-limited); they become `Error`s only for a user's `onError`,
  // so an outage costs no `Error` per dropped hit by default.
  if (ownsTracker) {
    // A user's `onError` hears of lost hits too, rate-limited like the warnings: the first of a
    // reason at once, then one `Error` with the count per 10 s, never one per hit in an overload.
    const drops = options.onError === undefined ? undefined : createDropWarnings({ warn: (message: string) => reportError(new Error(message), undefined), debug: noop, error: noop });
    tracker.on((event) => {
      if (event.type === 'error') reportError(event.error, undefined);
      else if (event.type === 'dropped') drops?.dropped(event.reason, event.lines, event.detail);
    });
  }
  let warnedTwice = false;
  // Trackers from createTracker() have an allocation-light request path; others use the contract.
  const internals = trackerInternals(tracker);

  return {
    tracker,
    get wantsFrameworkTrust() {
      return checkProxyTrust.wantsFrameworkSetting;
    },
    reportError,
    shouldTrack(request) {
      if (states.get(request) !== undefined) {
        if (!warnedTwice) {
          warnedTwice = true;
          logger.warn('[mapp-s2s] mappTracking() runs twice for the same request (mounted twice?); the second one does nothing, so each request is still tracked once.');
        }
        return false;
      }
      return !states.isMarkedOptedOut(request);
    },
    start(request, context, frameworkTrust, cookies) {
      const started = performance.now();
      checkProxyTrust(context, frameworkTrust);
      const state = new TrackedRequest(tracker, context, started, cookies, request, reportError);
      const begun = internals !== undefined && tracker.begin === internals.begin ? internals.beginNow(context, state) : tracker.begin(context);
      states.set(request, state);
      if (!isThenable(begun)) {
        // Consent and skip answered synchronously (the default): no promise at all.
        state.settle(begun);
        return { state, ready: undefined };
      }
      const pending = Promise.resolve(begun).then(
        (visit) => visit,
        (error: unknown) => {
          reportError(error, request);
          return undefined;
        },
      );
      state.pending = pending;
      const ready = pending.then((visit) => {
        if (visit !== undefined) state.settle(visit);
      });
      return { state, ready };
    },
    finish(state, readResponse, arg) {
      try {
        const visit = state.visit;
        // An opt-out that found no state (Express: a route replaced `res.locals`, where the
        // state is kept) left its marker on the new holder: honour it.
        if (state.optedOut || (state instanceof TrackedRequest && states.isMarkedOptedOut(state.request as object))) {
          // (A tracker from another copy of the core may predate `skipRoute`.)
          if (typeof internals?.skipRoute === 'function') internals.skipRoute(state.context);
          return;
        }
        if (visit === undefined) return;
        const response = readResponse(arg);
        if (response === undefined) return;
        const base = state.context;
        // Every field of RequestContext, spelled out: cheaper than a spread, same result.
        const context: RequestContext = {
          method: base.method,
          url: base.url,
          absoluteTarget: base.absoluteTarget,
          headers: base.headers,
          cookies: base.cookies,
          remoteAddress: base.remoteAddress,
          status: response.status,
          contentType: response.contentType,
          durationMs: performance.now() - state.started,
        };
        const memo = state instanceof TrackedRequest ? state : undefined;
        if (internals !== undefined && tracker.end === internals.end) {
          internals.endQuietly(context, visit, state.data, memo);
          return;
        }
        // Failed sends arrive as tracker events; only a broken promise is ours to report.
        tracker.end(context, visit, state.data).catch((error: unknown) => state.reportError(error));
      } catch (error) {
        state.reportError(error);
      }
    },
  };
}
