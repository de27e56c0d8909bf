import type { Context, Middleware, Next } from 'koa';
import { createRequestTracking, type RequestState, type ResponseFacts, type Tracker } from '@mapp-s2s/core';
import { createTracker, fromNodeRequest, nodeResponseCookies } from '@mapp-s2s/core/node';
import { kit } from './kit.js';
import type { KoaTrackingOptions } from './options.js';
import { createStateHelpers } from './state-helpers.js';

/** The middleware returned by `mappTracking()`; `tracker` is there to `close()` it on shutdown. */
export interface MappTrackingMiddleware extends Middleware {
  /** The tracker this middleware sends to (created from the options, or the one passed in). */
  readonly tracker: Tracker;
}

/** Koa's `app.proxy` trusts every hop, so it is pointed at, never adopted. */
function koaTrustWarning(proxy: unknown): string | undefined {
  if (proxy !== true) return undefined;
  return "Koa's app.proxy is true but mappTracking's trustProxy is not set, and app.proxy is not adopted (it trusts every hop): set mappTracking({ trustProxy }) to your proxies' addresses or hop count.";
}

/** The status Koa will answer with when `error` escapes the middleware chain (as `ctx.onerror` does). */
function errorStatus(error: unknown): number {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}

/** What the response says once the chain has run; `failure` is an error escaping it. */
function responseFacts(ctx: Context, failure: { error: unknown } | undefined): ResponseFacts | undefined {
  const res = ctx.res;
  // The client went away before Koa could answer: there is no page to count.
  if (res.destroyed && !res.headersSent) return undefined;
  if (failure !== undefined) return { status: errorStatus(failure.error), contentType: undefined };
  // Read from the Node response, where `ctx.status` and `ctx.type` keep them (Koa's own
  // getters reach the same values through two delegating getters each).
  const contentType = res.getHeader('content-type');
  return { status: res.statusCode, contentType: contentType === undefined || contentType === '' ? undefined : String(contentType) };
}

/** The response of a chain that completed. */
function finishedFacts(ctx: Context): ResponseFacts | undefined {
  return responseFacts(ctx, undefined);
}

/** The response of a chain that threw. */
function failedFacts({ ctx, error }: { ctx: Context; error: unknown }): ResponseFacts | undefined {
  return responseFacts(ctx, { error });
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
  const tracking = createRequestTracking(options, { states: kit.states, env: process.env, createTracker, frameworkTrustWarning: koaTrustWarning });

  /** Runs the rest of the chain, then hands the finished request to the tracker. */
  function runAndFinish(ctx: Context, next: Next, state: RequestState): Promise<void> {
    let chain: Promise<unknown>;
    try {
      chain = next();
    } catch (error) {
      // A `next` that throws instead of rejecting (outside koa-compose): same as a rejection.
      tracking.finish(state, failedFacts, { ctx, error });
      throw error;
    }
    return chain.then(
      () => tracking.finish(state, finishedFacts, ctx),
      (error: unknown) => {
        tracking.finish(state, failedFacts, { ctx, error });
        throw error;
      },
    );
  }

  // Not an async function: a request whose visit is decided synchronously (the default)
  // costs no extra promise, and `finish` runs in the chain's own settlement.
  function mappTrackingMiddleware(ctx: Context, next: Next): Promise<void> {
    if (!tracking.shouldTrack(ctx)) return next();
    let started: ReturnType<typeof tracking.start>;
    try {
      const context = fromNodeRequest({ method: ctx.req.method, url: ctx.originalUrl, headers: ctx.req.headers, socket: ctx.req.socket });
      started = tracking.start(ctx, context, tracking.wantsFrameworkTrust ? ctx.app.proxy : undefined, nodeResponseCookies(ctx.res));
      ctx.state.mapp = createStateHelpers(ctx);
    } catch (error) {
      tracking.reportError(error, ctx);
      return next();
    }
    const { state, ready } = started;
    // The cookie must be on the response before the route can send headers. With a
    // synchronous consent (the default) it already is; otherwise this costs microtasks only.
    if (ready === undefined) return runAndFinish(ctx, next, state);
    return ready.then(() => runAndFinish(ctx, next, state));
  }

  return Object.assign(mappTrackingMiddleware, { tracker: tracking.tracker });
}
