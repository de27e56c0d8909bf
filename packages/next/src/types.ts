import type { HitData, RequestContext, TrackResult, Tracker, TrackerOptions } from '@mapp-s2s/core';
import type { NextFetchEvent, NextRequest } from 'next/server.js';

/** What a Next.js middleware / proxy function may return. */
export type NextMiddlewareResult = Response | null | undefined | void;

/**
 * A Next.js middleware or proxy function, as exported from `middleware.ts` / `proxy.ts`.
 * Declared structurally so any `(request, event) => response` function fits.
 */
export type NextMiddlewareLike = (
  request: NextRequest,
  event: NextFetchEvent,
) => NextMiddlewareResult | Promise<NextMiddlewareResult>;

/** The function `mappTracking()` / `withMappTracking()` return: usable as `export default`. */
export type MappMiddleware = (request: NextRequest, event?: NextFetchEvent) => Promise<Response>;

/**
 * Options of the Next.js adapter: every core {@link TrackerOptions} option plus the few
 * facts only the Next adapter can supply. Core options are read from the environment
 * (`MAPP_TRACK_ID`, `MAPP_TRACK_DOMAIN`, `MAPP_TRANSPORT`, `MAPP_TRUST_PROXY`, ...) at the
 * first request, not at build time.
 */
export interface NextTrackingOptions extends TrackerOptions {
  /**
   * Share one tracker between the middleware and your route handlers / server actions
   * (see `createNextTracker`). When given, the core options above are ignored here and
   * taken from that tracker.
   * @default undefined (the middleware creates its own tracker)
   */
  tracker?: NextTracker;
  /**
   * Marks a request as "not found" before rendering. Middleware runs before the route,
   * so it cannot see a 404; return `true` and the core receives `status: 404` and decides
   * as it does for a 404 in Express or Koa.
   * @default undefined (no request is known to be missing)
   */
  notFound?: (request: NextRequest) => boolean;
  /**
   * Routes whose page sends its own page view with `tracker.trackPageView()`, because only
   * the page knows its data (an order). The middleware still sets the visitor cookie for
   * them but sends nothing, so the page view is counted once.
   * @default undefined (the middleware sends every page view)
   */
  pageTracksItself?: (request: NextRequest) => boolean;
  /**
   * Per-route hit data known from the URL alone (page name, content groups, a product id).
   * Data only the page knows (an order) is sent from the page with `trackEvent()`.
   * @default undefined
   */
  hitData?: (request: NextRequest) => HitData | undefined;
  /**
   * Where the visitor's IP comes from. Next.js hides the TCP peer from middleware; by
   * default the adapter takes the right-most `X-Forwarded-For` entry, which `next start`
   * (or the proxy in front of it) writes. Return e.g. `request.headers.get('x-real-ip')`
   * on a platform that sets it.
   * @default right-most `X-Forwarded-For` entry
   */
  remoteAddress?: (request: RequestSource) => string | undefined;
  /**
   * The scheme the request arrived with at this server (`http` or `https`). Next.js derives
   * `request.url`'s scheme from `X-Forwarded-Proto` without asking whether the sender is
   * trusted, so a self-hosted `next start` behind a TLS proxy should return `'http'` here and
   * let `trustProxy` decide about `X-Forwarded-Proto`.
   * @default the scheme of `request.url`
   */
  protocol?: (request: RequestSource) => 'http' | 'https' | undefined;
  /**
   * Environment to resolve options from. Read lazily at the first request so that
   * `next start` with other env values than `next build` works.
   * @default process.env (when the runtime has one)
   */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The core tracker options that `createNextTracker()` accepts. */
export type NextTrackerOptions = TrackerOptions & Pick<NextTrackingOptions, 'env' | 'remoteAddress' | 'protocol'>;

/** Something a request context can be built from: a `Request`, or `headers()` from `next/headers`. */
export interface RequestSource {
  /**
   * URL of the page: absolute, or a path resolved against the `Host` header (pages only get
   * `headers()`, not their URL). @default '/'
   */
  url?: string;
  /** HTTP method. @default 'GET' */
  method?: string;
  /** Request headers: a `Headers` object or the result of `await headers()`. */
  headers: { forEach(callback: (value: string, key: string) => void): void; get(name: string): string | null };
}

/**
 * One tracker for a Next.js app, shared by `middleware.ts`/`proxy.ts`, route handlers and
 * server actions. The core tracker is created at first use, so env values are read at
 * request time and a bad configuration never breaks `next build`.
 */
export interface NextTracker {
  /** The core tracker, created on first call; `undefined` when the configuration is invalid (logged once). */
  getTracker(): Tracker | undefined;
  /** Builds the core's request context from a `Request` or from `await headers()`. */
  toContext(source: RequestSource): RequestContext;
  /**
   * Sends a backend event (an order, a click, a form) for the visitor of `source`. The
   * visitor id comes from the request's cookie, including one minted by the middleware for
   * this very request. Use it inside `after()` so the response is not delayed. Never rejects.
   */
  trackEvent(data: HitData, source: RequestSource): Promise<TrackResult>;
  /**
   * Sends the page view of the current request from the page itself (for routes in
   * `pageTracksItself`), with data only the page knows. The core applies the same page-view
   * rules as in the middleware. Use it inside `after()`. Never rejects.
   */
  trackPageView(data: HitData, source: RequestSource): Promise<TrackResult>;
  /** Flushes queued hits (batch transport). */
  flush(): Promise<void>;
  /** Flushes and stops the tracker. */
  close(): Promise<void>;
}
