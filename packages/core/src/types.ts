/**
 * Public types of @mapp-s2s/core. This file is the contract between the core, the
 * transports and the adapters: change it deliberately.
 */

// ---------------------------------------------------------------------------
// Request context
// ---------------------------------------------------------------------------

/**
 * A neutral, plain record of one HTTP request (and, once known, its response).
 * Adapters build it with `fromWebRequest()` / `fromNodeRequest()` and add framework facts.
 * It holds raw facts only; every decision (client IP, scheme behind proxies, page view or
 * not) is taken by the core with the resolved configuration.
 */
export interface RequestContext {
  /** Upper-case HTTP method, e.g. `GET`. */
  method: string;
  /**
   * Absolute URL as received: scheme from the connection (TLS or not), host from the
   * `Host` header (or `:authority`), path and query verbatim (not decoded).
   * `X-Forwarded-Proto`/`-Host` are NOT applied here; the core applies them only when the
   * peer is a trusted proxy. An absolute-form request target does not change this either
   * (see `absoluteTarget`). Without a usable `Host` (none, empty, or one holding `/ ? # @ \\`
   * or spaces) it is the path and query alone, and the request is not tracked (`no-host`).
   */
  url: string;
  /**
   * The request target as received when the request line was in absolute-form
   * (`GET https://shop.example/x HTTP/1.1`), else undefined. Its scheme and host may be the
   * client's (proxies such as HAProxy relay the target unchanged), so the core never takes
   * scheme or host from it; `url` keeps the connection's scheme, the `Host` header and the
   * target's path. Kept for `skip`/`pageName` callbacks that want to see it.
   */
  absoluteTarget?: string | undefined;
  /**
   * Lower-cased request header names. Repeated headers are joined with `", "`.
   * `cookie` and `authorization` are never copied here (cookies go to `cookies`).
   */
  headers: Readonly<Record<string, string>>;
  /** Request cookies, name to value (values as sent, not URL-decoded). First occurrence wins. */
  cookies: Readonly<Record<string, string>>;
  /** The TCP peer address (`socket.remoteAddress`), if known. */
  remoteAddress?: string | undefined;
  /** Response status, once known. */
  status?: number | undefined;
  /** Response `Content-Type`, once known. */
  contentType?: string | undefined;
  /** Time from request start to response finish, once known. */
  durationMs?: number | undefined;
}

/**
 * A request that already happened, as a web server recorded it (an access-log line): the
 * request facts with its response status and the time it was served. Input of
 * `tracker.trackRecordedPageView()`.
 */
export interface RecordedRequest extends RequestContext {
  /** When the request was served, ms since the epoch: `p` field 7 of the hit. */
  time: number;
}

/** Minimal structural view of a `Headers` object (web `Headers` fits). */
export interface HeadersLike {
  forEach(callback: (value: string, key: string) => void): void;
  get(name: string): string | null;
}

// ---------------------------------------------------------------------------
// Privacy and visitor identity
// ---------------------------------------------------------------------------

/** `full`: eid + cookie; `anonymous`: `nc=1`, no eid, no cookie; `none`: no hit at all. */
export type ConsentLevel = 'full' | 'anonymous' | 'none';

/**
 * The core's decision at the start of a request, made by `tracker.begin(ctx)`.
 * Adapters set `setCookie` (if any) before headers are sent, keep the visit for the
 * request, and pass it to `tracker.end()` and to backend events of the same request.
 */
export interface Visit {
  /** Privacy level for this request. */
  consent: ConsentLevel;
  /** `false` when this request can never become a page view (bot, asset, skip, opt-out...). */
  trackable: boolean;
  /** Why it is not trackable, e.g. `bot`, `asset`, `prefetch`, `method`, `skip`, `opt-out`. */
  skipReason?: SkipReason | undefined;
  /** The ever ID (19 digits), unless anonymous/none. */
  eid?: string | undefined;
  /** `true` when `eid` was minted for this request (sends `one=1`). */
  isNewVisitor: boolean;
  /** Customer id (`ceid`) from `options.customerId(ctx)`. */
  ceid?: string | undefined;
  /** A complete `Set-Cookie` header value to append to the response, if a cookie must be set. */
  setCookie?: string | undefined;
}

export type SkipReason =
  | 'method'
  | 'bot'
  | 'prefetch'
  | 'asset'
  | 'excluded'
  | 'not-included'
  | 'no-host'
  | 'skip'
  | 'route'
  | 'opt-out'
  | 'consent'
  | 'privacy-signal'
  | 'status'
  | 'content-type'
  | 'disabled';

// ---------------------------------------------------------------------------
// Hit model: what the application can say about a page view or an event
// ---------------------------------------------------------------------------

/** Numbered custom parameters, e.g. `{ 12: 'red' }` becomes `cp12=red`. */
export type NumberedParams = Readonly<Record<number, string | number | boolean | null | undefined>>;

export type ProductStatus = 'view' | 'add' | 'del' | 'checkout' | 'conf' | 'add-wl' | 'del-wl' | 'list' | 'display-reco' | 'click-reco';

export interface PageData {
  /** Page name (`p` field 2). Defaults to the docs/protocol.md §8 rule. */
  name?: string;
  /** Page parameters `cp[ID]`. */
  parameters?: NumberedParams;
  /** Content groups `cg[ID]`. */
  categories?: NumberedParams;
  /** Internal search phrase (`is`). */
  search?: string;
  /** `cp771` .. `cp782` predefined page parameters. */
  resultCount?: number;
  errorMessages?: string;
  paywall?: boolean;
  articleTitle?: string;
  contentTags?: string;
  title?: string;
  type?: string;
  length?: string;
  daysSincePublication?: number;
  testVariant?: string;
  testExperiment?: string;
}

export interface SessionData {
  /** Session parameters `cs[ID]` (`cs801`/`cs802` are reserved for the sender). */
  parameters?: NumberedParams;
  /** Login status (`cs800`). */
  loginStatus?: string;
}

export interface ActionData {
  /** Event name (`ct`). */
  name: string;
  /** Event parameters `ck[ID]`. */
  parameters?: NumberedParams;
  /** Goal / e-commerce parameters `cb[ID]`. */
  goals?: NumberedParams;
}

export interface CampaignData {
  /**
   * Media code, `<param>=<value>` (e.g. `wt_mc=newsletter.nov`); sent double-encoded as `mc`. The
   * form of Mapp's docs and official libraries, `wt_mc%3Dnewsletter.nov` (no `=`, the separator
   * encoded), is taken too and gives the same `mc`.
   */
  mediaCode?: string;
  /** `c` click (default) or `v` view (`mca`). */
  action?: 'c' | 'v';
  /** Campaign parameters `cc[ID]`. */
  parameters?: NumberedParams;
}

export interface CustomerData {
  /** Customer id (`cd`). */
  id?: string;
  /** User categories `uc[ID]`. */
  categories?: NumberedParams;
  email?: string; // uc700
  emailReceiverId?: string; // uc701
  newsletter?: boolean; // uc702
  firstName?: string; // uc703
  lastName?: string; // uc704
  phone?: string; // uc705
  gender?: number; // uc706
  birthday?: string; // uc707 (YYYYMMDD)
  country?: string; // uc708
  city?: string; // uc709
  postalCode?: string; // uc710
  street?: string; // uc711
  streetNumber?: string; // uc712
  validation?: boolean; // uc713
}

export interface ProductData {
  /** Product id (`ba`), at most 110 characters. */
  id: string;
  /** Total cost for the quantity (`co`), not the unit price. */
  cost?: number;
  /** Quantity (`qn`). */
  quantity?: number;
  /** Product categories `ca[ID]`. */
  categories?: NumberedParams;
  /** Per-product parameters `cb[ID]`. */
  parameters?: NumberedParams;
  /** `cb760`. */
  soldOut?: boolean;
  /** `cb767`. */
  variant?: string;
  /** List position (`plp`). */
  position?: number;
}

export interface OrderData {
  /** Order value (`ov`); required for an order to count. */
  value: number | string;
  /** Order id (`oi`), used by Mapp to de-duplicate. */
  id?: string;
  /** ISO currency (`cr`). */
  currency?: string;
  couponValue?: number; // cb563
  tax?: number; // cb759
  paymentMethod?: string; // cb761
  shippingService?: string; // cb762
  shippingSpeed?: string; // cb763
  shippingCosts?: number; // cb764
  grossMargin?: number; // cb765
  status?: string; // cb766
  /** Further order-level `cb[ID]` parameters. */
  parameters?: NumberedParams;
}

/**
 * Everything an application can add to a hit. All parts are optional; a hit with an
 * `action` is an event, a hit without one is a page view.
 */
export interface HitData {
  page?: PageData;
  session?: SessionData;
  action?: ActionData;
  campaign?: CampaignData;
  customer?: CustomerData;
  order?: OrderData;
  /** Products of this hit; one status per hit (docs/protocol.md §3). */
  products?: readonly ProductData[];
  /** Status of `products`; defaults to `conf` with an order, else `view`. */
  productStatus?: ProductStatus;
  /** Currency of the products (`cr`) when there is no order. */
  currency?: string;
  /** Two-letter language (`la`). */
  language?: string;
  /** Advanced-permission category (`pec`). */
  permissionCategory?: string;
  /** Event time (`p` field 7); defaults to now. */
  time?: Date | number;
  /**
   * Raw escape hatch: extra query parameters, name to value. Names must match
   * `^[A-Za-z][A-Za-z0-9_]*$` and must not be one the sender owns (`p`, `eid`, `ceid`, `nc`,
   * `one`, `pu`, `X-WT-*`, `cs801`, `cs802`); values are encoded like every other value.
   */
  raw?: Readonly<Record<string, string | number | boolean | null | undefined>>;
}

// ---------------------------------------------------------------------------
// Outcomes and events
// ---------------------------------------------------------------------------

export type DropReason =
  | 'queue-full'
  | 'rejected' // non-retryable 4xx / 3xx from Mapp
  | 'retries-exhausted'
  | 'too-old'
  | 'too-large' // over 7 KB even with every optional value left out and the products split
  | 'closed' // tracker closed and nothing could take the hit
  | 'spool-full' // spool.maxTotalBytes reached
  | 'invalid';

/**
 * The promise returned by `track()`/`end()` always resolves to one of these; it never rejects.
 *
 * One hit is one line, except a hit too big for Mapp's 7 KB line limit whose products had to
 * be split across follow-up events (docs/protocol.md §4, "Big orders" in the core README): then
 * `lines` holds every line sent for it, in order, and the result is the first line's (`line`
 * is the first) unless a line failed, in which case it is that failure (`line` is the failed
 * one). `lines` is absent for a one-line hit.
 */
export type TrackResult =
  | { ok: true; status: 'sent' | 'queued' | 'spooled' | 'dry-run'; line: string; lines?: string[] }
  | { ok: false; status: 'skipped'; reason: SkipReason }
  | { ok: false; status: 'dropped'; reason: DropReason; line?: string; lines?: string[]; detail?: string }
  | { ok: false; status: 'failed'; error: Error; line?: string; lines?: string[] };

export type TrackerEvent =
  | { type: 'sent'; lines: number; status: number; latencyMs: number }
  | { type: 'retry'; lines: number; attempt: number; delayMs: number; reason: string }
  | { type: 'dropped'; lines: number; reason: DropReason; detail?: string }
  | { type: 'spooled'; lines: number; file?: string }
  | { type: 'debug'; line: string; problems: string[] }
  | { type: 'error'; error: Error };

export interface TrackerStats {
  enqueued: number;
  sent: number;
  retried: number;
  dropped: Partial<Record<DropReason, number>>;
  /** Requests (and `track()` calls) that did not become a hit, by reason (bot, asset, opt-out...). */
  skipped: Partial<Record<SkipReason, number>>;
  spooled: number;
  /** Hits waiting in memory (not in flight). */
  queueDepth: number;
  /** Bytes of the hits waiting in memory. */
  queueBytes: number;
  /** Hits in batches being sent or waiting for a retry. */
  inFlight: number;
  /** Bytes in the spool folder's files (spool and write-ahead log only). */
  spoolBytes?: number;
  /** Send latency of accepted requests in ms (p50 / p99 / max over a recent window). */
  latencyMs: { p50: number; p99: number; max: number; count: number };
}

// ---------------------------------------------------------------------------
// Transports
// ---------------------------------------------------------------------------

/** One encoded hit on its way to Mapp. */
export interface OutgoingHit {
  /** The wire line: `wt?p=600,...` (no host, no track id, no CR/LF). */
  line: string;
  /** Ordering key: hits with the same key must reach Mapp in order (eid, ceid or ip+ua). */
  key: string;
  /** When the hit was tracked (ms since epoch). */
  time: number;
}

/** Outcome of handing one hit to a transport; never rejects. */
export type SendOutcome =
  | { ok: true; status: 'sent' | 'queued' | 'spooled' }
  | { ok: false; status: 'dropped'; reason: DropReason; detail?: string }
  | { ok: false; status: 'failed'; error: Error };

export interface Transport {
  readonly name: string;
  /** Hand over one hit. `direct` resolves after Mapp answered, `batch` after enqueueing, `spool` after the append. */
  send(hit: OutgoingHit): Promise<SendOutcome>;
  /** Send everything queued now and wait for it (including in-flight requests). */
  flush(): Promise<void>;
  /** Stop accepting, drain, and release timers/files; unsent hits go to the spool when the timeout passes. */
  close(options?: { timeout?: number }): Promise<void>;
  /** Counters for `tracker.stats()`. */
  stats?(): Partial<TrackerStats>;
}

/** What a transport factory receives from the tracker. */
export interface TransportContext {
  /** e.g. `https://track.example.com` or `http://127.0.0.1:9700` (no trailing slash). */
  origin: string;
  /** One or more comma-separated 15-digit track ids, e.g. `123451234512345`. */
  trackId: string;
  fetch: typeof fetch;
  emit(event: TrackerEvent): void;
  logger: Logger;
}

export type TransportFactory = (context: TransportContext) => Transport;

export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

// ---------------------------------------------------------------------------
// Options and the tracker
// ---------------------------------------------------------------------------

/** A value that may be returned synchronously or as a promise. */
export type MaybePromise<T> = T | Promise<T>;

/** `true` (trust every hop), a hop count, or addresses / CIDRs / `loopback` / `linklocal` / `uniquelocal`. */
export type TrustProxy = boolean | number | string | readonly string[];

/**
 * Which forwarding headers a trusted proxy writes: `forwarded` (RFC 7239 `Forwarded`, e.g.
 * HAProxy `option forwarded`), `x-forwarded` (`X-Forwarded-For`/`-Proto`/`-Host`, e.g. nginx)
 * or `auto` (the kind the request carries; both kinds only as far as they agree).
 */
export type ProxyHeaders = 'auto' | 'forwarded' | 'x-forwarded';

export type UrlPattern = string | RegExp;

export interface CookieOptions {
  /**
   * Cookie that stores the minted ever ID.
   * @default 'wtstp_eid' — the Smart Pixel's first-party cookie, so a pixel added later
   * (or routed through us) continues the same visitor instead of minting a second id.
   */
  name?: string;
  /** Cookie `Domain`. @default undefined (host-only cookie: the safest scope). */
  domain?: string;
  /** Cookie `Path`. @default '/' */
  path?: string;
  /** Lifetime in seconds. @default 15552000 (6 months, as the official libraries). */
  maxAge?: number;
  /** `Secure` flag. @default 'auto' (set when the page was served over HTTPS). */
  secure?: boolean | 'auto';
  /**
   * `HttpOnly` flag. @default false — a Smart Pixel on the same site must be able to read
   * the id, otherwise it mints a second one (docs/protocol.md §6). Set `true` for script-less sites.
   */
  httpOnly?: boolean;
  /** `SameSite`. @default 'Lax' */
  sameSite?: 'Lax' | 'Strict' | 'None';
}

export interface TrackerOptions {
  /** 15-digit Mapp track id, or a comma-separated list. Env `MAPP_TRACK_ID`. Required. */
  trackId?: string;
  /** Bare host (HTTPS implied) or origin with scheme and port, e.g. `http://127.0.0.1:9700`. Env `MAPP_TRACK_DOMAIN`. Required. */
  trackDomain?: string;
  /**
   * How hits are sent: `direct` (one GET per hit), `batch` (background POSTs), `spool`
   * (files on disk; only from `@mapp-s2s/core/node`) or your own factory. Env `MAPP_TRANSPORT`.
   * @default 'batch' from `@mapp-s2s/core/node`, 'direct' from the main (edge) entry.
   */
  transport?: 'direct' | 'batch' | 'spool' | TransportFactory;
  /** Direct transport and per-request timeout in ms (the page never waits for it). @default 2000 */
  timeout?: number;
  /** Batch transport tuning. */
  batch?: BatchOptions;
  /** Spool tuning (Node only). Setting `spool.dir` with `transport: 'batch'` makes the spool a write-ahead log. */
  spool?: SpoolOptions;
  /**
   * Which peers are proxies that may tell us the client IP, scheme and host: `true` (every
   * hop), a hop count, or addresses / CIDRs / `loopback` / `linklocal` / `uniquelocal`.
   * Nothing is read from forwarding headers unless the TCP peer is trusted. The chain
   * (`X-Forwarded-For` or `Forwarded`, see `proxyHeaders`) is walked from the right, nearest hop
   * first: the client is the first address that is not trusted (at junk such as `unknown` or
   * `_hidden` the walk stops at the last verified hop). Scheme and host come from the same hop
   * as the client IP, never from an entry the client wrote. Env `MAPP_TRUST_PROXY`.
   * @default false
   */
  trustProxy?: TrustProxy;
  /**
   * Which forwarding headers your trusted proxies write; the other kind is ignored, because a
   * client can send either kind itself and a proxy passes on what it does not write.
   * - `'forwarded'`: RFC 7239 `Forwarded` (`for=`, `proto=`, `host=`), e.g. HAProxy `option forwarded`.
   * - `'x-forwarded'`: `X-Forwarded-For` (appended) with `X-Forwarded-Proto`/`-Host`, e.g. nginx.
   * - `'auto'`: the kind the request carries. When a request carries both, the client IP is
   *   walked in both chains at once and only as far as they name the same addresses, and scheme
   *   and host are used only when both kinds agree; so whichever kind the proxy writes, a client
   *   that adds the other kind cannot choose its IP, scheme or host (it gets the proxy's IP at worst).
   *   It relies on the proxy writing (appending to) `X-Forwarded-For` or `Forwarded`: pin the
   *   kind when the proxy writes neither (only `X-Forwarded-Proto`, say) or when several proxies
   *   in a row write different kinds. An empty header names no hop and counts as absent (a
   *   proxy that writes a kind always writes at least its own peer into it).
   * Env `MAPP_PROXY_HEADERS`. @default 'auto'
   */
  proxyHeaders?: ProxyHeaders;
  /** Vendor headers to read the client IP from, in order, e.g. `['cf-connecting-ip']`. Only honoured from trusted peers. @default [] */
  clientIpHeaders?: readonly string[];
  /** Cut IPv4 to /24 and IPv6 to /48 before sending. @default false */
  anonymizeIp?: boolean;
  /** Send `X-WT-IP` at all. @default true */
  sendIp?: boolean;
  /** Visitor cookie settings. */
  cookie?: CookieOptions;
  /** Supplies `ceid` (your own persistent visitor id). */
  customerId?: (ctx: RequestContext) => string | undefined;
  /** Overrides the default page name rule. Return undefined to use the default. */
  pageName?: (ctx: RequestContext) => string | undefined;
  /**
   * Query parameters kept in the default page name, in this order. The default page name is
   * built as Mapp's official server libraries build it (docs/protocol.md §8): `host[:port]/path`
   * URL-decoded, then `?name=value&...` for each of these parameters the URL carries with a
   * non-empty value, and the whole name lower-cased (parameters included). Names are matched
   * case-sensitively; a repeated parameter gives its last value; `+` in a value is a space.
   * Example: `https://Shop.Example.com/DE/Shoes?sort=price&size=42` with `['size']` is the page
   * `shop.example.com/de/shoes?size=42`.
   * @default []
   */
  pageNameParams?: readonly string[];
  /**
   * Landing-page query parameters that carry a campaign media code (docs/protocol.md §3). When a page
   * view's URL has one (e.g. `?wt_mc=newsletter.nov`) and the handler set no `campaign.mediaCode`,
   * the hit gets `mc` (`wt_mc=newsletter.nov`, double-encoded) and `mca=c`, as the Smart Pixel does.
   * `[]` turns detection off. @default ['mc', 'wt_mc']
   */
  campaignParams?: readonly string[];
  /** The site's own domains for referrer code `1`. @default [the request host] */
  domains?: readonly UrlPattern[];
  /** Overrides every other privacy signal when given. */
  consent?: (ctx: RequestContext) => MaybePromise<ConsentLevel>;
  /** What `Sec-GPC: 1` / `DNT: 1` do. @default 'anonymous' */
  privacySignals?: 'anonymous' | 'skip' | 'ignore';
  /** Cookie whose presence means "send nothing". @default 'webtrekkOptOut' */
  optOutCookie?: string;
  /** Cookie whose presence means anonymous mode. @default 'miCookieOptOut' */
  anonymousCookie?: string;
  /** Bot detection on the User-Agent. @default isbot */
  isBot?: (userAgent: string) => boolean;
  /** Skip requests for static assets (by extension and asset folders). @default true */
  ignoreStaticAssets?: boolean;
  /** Only URLs matching one of these are tracked (path or full URL; strings are prefixes, `*` wildcards). @default [] (all) */
  include?: readonly UrlPattern[];
  /** URLs matching one of these are never tracked. @default [] */
  exclude?: readonly UrlPattern[];
  /** Return true to skip a request. */
  skip?: (ctx: RequestContext) => MaybePromise<boolean>;
  /** Forward `Sec-CH-UA*` client hints as `X-WT-SEC-CH-UA*`. @default true */
  clientHints?: boolean;
  /** Build hits but send nothing. Env `MAPP_DRY_RUN`. @default false */
  dryRun?: boolean;
  /** Log every line and validate it against the protocol limits. Env `MAPP_DEBUG`. @default false */
  debug?: boolean;
  /** Receives every tracker event. */
  onEvent?: (event: TrackerEvent) => void;
  /** Where warnings go. @default console */
  logger?: Logger;
  /** Keeps serverless functions alive until a send finishes (e.g. Next's `event.waitUntil`). */
  waitUntil?: (promise: Promise<unknown>) => void;
  /**
   * HTTP client. @default globalThis.fetch
   * Without it, `@mapp-s2s/core/node`'s `batch` transport (and its write-ahead log) POSTs
   * over `node:http` keep-alive agents, and `direct` GETs over an undici pool, while
   * `globalThis.fetch` is Node's own: the same requests for a fraction of the CPU. Passing
   * `fetch` (or replacing `globalThis.fetch`) routes every request through it. A batch POST's
   * body is a `Uint8Array` (the lines in UTF-8, joined by `\n`), a copy the fetch may keep.
   */
  fetch?: typeof fetch;
  /**
   * Node entry (`@mapp-s2s/core/node`) only. When the process is about to exit on its own
   * (the event loop ran empty: a script that tracked and ended) while hits are still
   * queued, the tracker is closed with this timeout in ms, which keeps the process alive
   * until they are delivered (or spooled, or reported as dropped). Uses `beforeExit`; no
   * signal handlers are installed. `false` turns it off. @default 5000
   */
  flushOnExit?: boolean | number;
}

export interface BatchOptions {
  /**
   * Lines that make a batch leave at once. When a visitor lane's backlog is larger, its next
   * batch takes the backlog, up to `maxBacklogBatchSize` lines and `maxBatchBytes`, so a burst
   * drains in a few large POSTs instead of thousands of small ones. @default 500 (the official
   * libraries use 50: ten times the POSTs, each costing sender and receiver CPU)
   */
  maxBatchSize?: number;
  /**
   * Lines per batch while a lane's backlog is larger than `maxBatchSize` (after a burst or an
   * outage). Larger batches drain a backlog faster; with a write-ahead log (`spool.dir`) they
   * also widen the duplicate window after a crash (the batches in flight are resent), so
   * lower it there if duplicates matter more than catch-up speed. @default 10000 (the cap)
   */
  maxBacklogBatchSize?: number;
  /** Bytes per POST (also the cap of backlog batches). @default 4 MiB (cap 20 MiB) */
  maxBatchBytes?: number;
  /** Send a partial batch after this many ms. @default 2000 */
  flushInterval?: number;
  /**
   * Hits held in memory. When the queue is full (this or `maxQueueBytes`), a new hit goes to
   * the spool when one is configured (`spool.dir`), else it is dropped (`queue-full`, counted,
   * warned, and `track()` resolves `dropped`); queued hits are never evicted. @default 100000
   */
  maxQueueSize?: number;
  /** Bytes of queued lines held in memory (see `maxQueueSize`). @default 64 MiB */
  maxQueueBytes?: number;
  /** Parallel POSTs. @default 2 */
  concurrency?: number;
  /**
   * Attempts per batch, the first included. With the default backoff, 30 attempts ride out an
   * outage of about five minutes on average before a batch is given up. @default 30
   */
  maxAttempts?: number;
  /** Give up retrying hits older than this (ms). @default 3600000 */
  maxRetryAge?: number;
  /** First backoff delay in ms (doubles, with full jitter). @default 250 */
  backoffBase?: number;
  /** Largest backoff delay in ms. @default 30000 */
  backoffMax?: number;
}

export interface SpoolOptions {
  /** Folder for spool files. Required for the spool. */
  dir?: string;
  /** File name prefix. @default 'MappIntelligenceRequests' */
  prefix?: string;
  /** `always`: fsync before `track()` resolves; `interval`: every `fsyncInterval` ms; `never`: leave it to the OS. @default 'interval' */
  fsync?: 'always' | 'interval' | 'never';
  /** @default 1000 */
  fsyncInterval?: number;
  /** Rotate after this many lines. @default 10000 */
  maxFileLines?: number;
  /** Rotate after this many ms. @default 1800000 (30 min) */
  maxFileAge?: number;
  /** Rotate after this many bytes. @default 20 MiB */
  maxFileSize?: number;
  /**
   * Cap on the spool folder's files of this prefix (`.tmp` and `.log`), in bytes. A hit that
   * would pass it is dropped (`spool-full`: counted, emitted, warned) instead of filling the
   * disk. @default 1 GiB
   */
  maxTotalBytes?: number;
}

/** Options for a single `track()` call (backend events, library-based tracking). */
export interface TrackCallOptions {
  /** The request this event belongs to: provides IP, UA, page URL, hints. */
  context?: RequestContext;
  /** The request's visit, so the event shares its visitor identity. */
  visit?: Visit;
  /** Explicit visitor identity when there is no request. */
  eid?: string;
  ceid?: string;
  /** Explicit client info when there is no request. */
  ip?: string;
  userAgent?: string;
  pageUrl?: string;
}

export interface Tracker {
  /** Decide privacy and visitor identity at request start. Never rejects. */
  begin(ctx: RequestContext): Promise<Visit>;
  /**
   * At response end: decide whether the request was a page view (status, content type),
   * build, encode and send its hit. `data` is what the handler added. Never rejects.
   */
  end(ctx: RequestContext, visit: Visit, data?: HitData): Promise<TrackResult>;
  /** `begin` + `end` in one call, for code that only has a finished request. */
  trackPageView(ctx: RequestContext, data?: HitData): Promise<TrackResult>;
  /** Library-based tracking: send any hit (an event, an order...) from anywhere. Never rejects. */
  track(data: HitData, options?: TrackCallOptions): Promise<TrackResult>;
  flush(): Promise<void>;
  close(options?: { timeout?: number }): Promise<void>;
  stats(): TrackerStats;
  /** Subscribe to events; returns an unsubscribe function. */
  on(listener: (event: TrackerEvent) => void): () => void;
  /**
   * Hands a finished wire line (`wt?...`, e.g. a Smart Pixel hit passed through the server)
   * to the transport, with dryRun/debug/events/waitUntil applied. A line may be as long as
   * the Smart Pixel's own requests (30,720 characters of query) plus the server's client
   * information, 34,819 characters in all; the transport sends a line over the 7 KB batch
   * limit as its own GET. Lines with CR/LF, without the `wt?` prefix or longer than that are
   * dropped (`invalid` / `too-large`). Never rejects.
   */
  sendLine?(line: string, options?: { key?: string; time?: number }): Promise<TrackResult>;
  /**
   * A page view of a request served in the past (an access-log line; `mapp-s2s import`): the
   * same page-view rules, page name, referrer, client IP (with `trustProxy` over the recorded
   * forwarding headers), User-Agent and page URL as `begin()` + `end()`, with two differences a
   * record imposes. The hit carries the record's `time`. No eid is minted and no cookie set:
   * the eid comes from a recorded Mapp cookie, else the hit has none (Mapp then recognises the
   * visitor by User-Agent and IP). A record cannot show the response's content type unless it
   * was logged: a GET answered 2xx or 304 for a path that is no static asset is a page view
   * (a logged non-HTML content type still rules it out). Never rejects.
   */
  trackRecordedPageView?(record: RecordedRequest): Promise<TrackResult>;
}
