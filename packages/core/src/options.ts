import { isbot } from 'isbot';
import { InvalidOptionError, MissingOptionError, UnknownOptionError } from './errors.js';
import { compileTrust, type TrustPredicate } from './ip.js';
import { compilePatterns, type UrlMatcher } from './patterns.js';
import type {
  BatchOptions,
  ConsentLevel,
  Logger,
  MaybePromise,
  ProxyHeaders,
  RequestContext,
  SpoolOptions,
  TrackerEvent,
  TrackerOptions,
  TransportFactory,
  UrlPattern,
} from './types.js';

/** Environment variables, e.g. `process.env`; core never reads `process` itself. */
export type TrackerEnv = Readonly<Record<string, string | undefined>>;

/** Cookie settings with every default applied. */
export interface ResolvedCookieOptions {
  name: string;
  domain: string | undefined;
  path: string;
  maxAge: number;
  secure: boolean | 'auto';
  httpOnly: boolean;
  sameSite: 'Lax' | 'Strict' | 'None';
}

/**
 * The tracker configuration with every field resolved and validated.
 * @internal Shared with the Node entry and the transports; not a public contract.
 */
export interface ResolvedConfig {
  /** Comma-joined track ids, e.g. `111111111111111,222222222222222`. */
  trackId: string;
  trackIds: readonly string[];
  /** `https://host[:port]` without trailing slash. */
  origin: string;
  /** Track host (no port), lower-case. */
  trackHost: string;
  /** `true` when the track domain is the customer's CNAME rather than a Mapp host (docs/protocol.md §1). */
  ownTrackDomain: boolean;
  transport: 'direct' | 'batch' | 'spool' | TransportFactory;
  timeout: number;
  /** `true` when `timeout` was given (the batch transport keeps its own, longer default otherwise). */
  timeoutExplicit: boolean;
  /** Whether `fetch` was given: otherwise the Node entry may send with undici (same exchange). */
  fetchExplicit: boolean;
  batch: BatchOptions;
  spool: SpoolOptions;
  trustProxy: TrustPredicate;
  /** `true` unless trustProxy is false: lets hot paths skip proxy header parsing. */
  trustsAnyProxy: boolean;
  /** Which forwarding headers trusted proxies write; see `TrackerOptions.proxyHeaders`. */
  proxyHeaders: ProxyHeaders;
  clientIpHeaders: readonly string[];
  anonymizeIp: boolean;
  sendIp: boolean;
  cookie: ResolvedCookieOptions;
  customerId: ((ctx: RequestContext) => string | undefined) | undefined;
  pageName: ((ctx: RequestContext) => string | undefined) | undefined;
  pageNameParams: readonly string[];
  /** Query parameters that carry a campaign media code on landing pages. */
  campaignParams: readonly string[];
  /** Own domains for referrer code 1; empty means "the request host". */
  domains: readonly UrlPattern[];
  consent: ((ctx: RequestContext) => MaybePromise<ConsentLevel>) | undefined;
  privacySignals: 'anonymous' | 'skip' | 'ignore';
  optOutCookie: string;
  anonymousCookie: string;
  isBot: (userAgent: string) => boolean;
  ignoreStaticAssets: boolean;
  include: UrlMatcher | undefined;
  exclude: UrlMatcher | undefined;
  skip: ((ctx: RequestContext) => MaybePromise<boolean>) | undefined;
  clientHints: boolean;
  dryRun: boolean;
  debug: boolean;
  onEvent: ((event: TrackerEvent) => void) | undefined;
  logger: Logger;
  waitUntil: ((promise: Promise<unknown>) => void) | undefined;
  fetch: typeof fetch;
  /** Node entry: ms a process that exits on its own waits for pending hits, or `false`. */
  flushOnExit: number | false;
}

/** Options accepted by `resolveOptions` beyond the user's options. */
export interface ResolveSettings {
  /** Transport used when neither options nor env choose one. @default 'direct' */
  defaultTransport?: 'direct' | 'batch';
  /** Extra keys an adapter's own options add on top of `TrackerOptions` (not rejected as unknown). */
  extraOptionKeys?: readonly string[];
}

const OPTION_KEYS: readonly (keyof TrackerOptions)[] = [
  'trackId', 'trackDomain', 'transport', 'timeout', 'batch', 'spool', 'trustProxy', 'proxyHeaders', 'clientIpHeaders',
  'anonymizeIp', 'sendIp', 'cookie', 'customerId', 'pageName', 'pageNameParams', 'campaignParams', 'domains', 'consent',
  'privacySignals', 'optOutCookie', 'anonymousCookie', 'isBot', 'ignoreStaticAssets', 'include', 'exclude',
  'skip', 'clientHints', 'dryRun', 'debug', 'onEvent', 'logger', 'waitUntil', 'fetch', 'flushOnExit',
];
/** The media-code URL parameters of the Smart Pixel (docs/protocol.md §3, Campaign). */
const DEFAULT_CAMPAIGN_PARAMS: readonly string[] = ['mc', 'wt_mc'];
const COOKIE_KEYS: readonly string[] = ['name', 'domain', 'path', 'maxAge', 'secure', 'httpOnly', 'sameSite'];
const BATCH_KEYS: readonly string[] = [
  'maxBatchSize', 'maxBacklogBatchSize', 'maxBatchBytes', 'flushInterval', 'maxQueueSize', 'maxQueueBytes', 'concurrency', 'maxAttempts', 'maxRetryAge',
  'backoffBase', 'backoffMax',
];
const SPOOL_KEYS: readonly string[] = ['dir', 'prefix', 'fsync', 'fsyncInterval', 'maxFileLines', 'maxFileAge', 'maxFileSize', 'maxTotalBytes'];
/**
 * One direct GET's timeout. The page never waits for it (hits are sent after the response or
 * inside `waitUntil`), and a first request to a track domain pays DNS, TCP and TLS: 500 ms lost
 * hits on cold starts (a Next.js server's first request), 2 s does not.
 */
const DEFAULT_DIRECT_TIMEOUT_MS = 2000;
/** How long a process that exits on its own waits for its pending hits by default. */
const DEFAULT_EXIT_TIMEOUT_MS = 5000;

const TRACK_ID = /^\d{15}$/;
/** Cookie names are RFC 6265 tokens. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HOST_CHARS = /^[a-z0-9.-]+$/i;
/** docs/protocol.md §1: hosts run by Mapp; anything else is the customer's own track domain. */
const MAPP_HOST = /^.+\.(wt-.*|webtrekk|webtrekk-.*)\.net$/;

/** Shows a received value in an error message without dumping huge objects. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (value instanceof RegExp) return String(value);
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 80)}…` : text;
  } catch {
    return String(value);
  }
}

function invalid(option: string, value: unknown, fix: string): InvalidOptionError {
  return new InvalidOptionError(option, `mapp-s2s: invalid option \`${option}\`: received ${show(value)}. ${fix}`);
}

/** Edit distance, for "did you mean" hints on misspelt option names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

/** The entry of `known` closest to `input` (case-insensitive), if it is close enough to be a typo. */
function closest(input: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

/** Throws on keys that are not in `known`, suggesting the closest known key. */
function rejectUnknownKeys(object: object, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const best = closest(key, known);
    const hint = best !== undefined ? ` Did you mean \`${prefix}${best}\`?` : '';
    throw new UnknownOptionError(
      `${prefix}${key}`,
      `mapp-s2s: unknown option \`${prefix}${key}\`.${hint} Known options: ${known.join(', ')}.`,
    );
  }
}

function parseBooleanEnv(name: string, value: string): boolean {
  const text = value.trim().toLowerCase();
  if (text === '1' || text === 'true' || text === 'yes' || text === 'on') return true;
  if (text === '0' || text === 'false' || text === 'no' || text === 'off' || text === '') return false;
  throw new InvalidOptionError(name, `mapp-s2s: invalid environment variable ${name}=${show(value)}. Use true or false.`);
}

/** `MAPP_TRUST_PROXY`: `true`/`false`, a hop count, or a comma-separated list. */
function parseTrustProxyEnv(value: string): boolean | number | string[] {
  const text = value.trim();
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false' || lower === '') return false;
  if (/^\d+$/.test(text)) return Number(text);
  return text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
}

function checkTrackId(value: unknown, source: string): { trackId: string; trackIds: string[] } {
  if (typeof value !== 'string') {
    throw invalid(source, value, 'Pass the 15-digit Mapp track id as a string, e.g. "123451234512345" (find it in Mapp Intelligence under Configuration > System Configuration).');
  }
  const trackIds = value.split(',').map((part) => part.trim());
  if (trackIds.length === 0 || !trackIds.every((id) => TRACK_ID.test(id))) {
    throw invalid(source, value, 'A track id is exactly 15 digits, e.g. "123451234512345"; several ids are separated by commas, e.g. "123451234512345,543215432154321".');
  }
  return { trackId: trackIds.join(','), trackIds };
}

/**
 * Parses `trackDomain`: a bare host (HTTPS implied) or an origin with scheme and optional
 * port. Paths, queries, fragments and credentials are rejected, because the hit path
 * `/<trackId>/wt` is appended by the transport.
 */
function checkTrackDomain(value: unknown, source: string): { origin: string; trackHost: string } {
  const fix = 'Use a bare host such as "track.example.com" (HTTPS is implied) or an origin with scheme and port such as "http://127.0.0.1:9700", without path, query or credentials.';
  if (typeof value !== 'string' || value.trim() === '') throw invalid(source, value, fix);
  const text = value.trim();
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `https://${text}`);
  } catch {
    throw invalid(source, value, fix);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid(source, value, `Only http:// and https:// are supported. ${fix}`);
  }
  const afterHost = text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = afterHost.indexOf('/');
  if (url.username !== '' || url.password !== '' || afterHost.includes('@')) {
    throw invalid(source, value, `Credentials are not allowed in the track domain. ${fix}`);
  }
  if ((slash !== -1 && afterHost.slice(slash) !== '/') || url.search !== '' || url.hash !== '' || afterHost.includes('?') || afterHost.includes('#')) {
    throw invalid(source, value, `The track domain must not contain a path, query or fragment (the transport adds /<trackId>/wt). ${fix}`);
  }
  const hostname = url.hostname.toLowerCase();
  const isIpv6 = hostname.startsWith('[');
  if (!isIpv6 && (!HOST_CHARS.test(hostname) || hostname.startsWith('.') || hostname.endsWith('.'))) {
    throw invalid(source, value, fix);
  }
  return { origin: url.origin, trackHost: hostname };
}

function checkPositive(option: string, value: unknown, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw invalid(option, value, `Use a positive ${integer ? 'integer' : 'number'}.`);
  }
  return value;
}

function checkBoolean(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(option, value, 'Use true or false.');
  return value;
}

function checkFunction<T>(option: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalid(option, value, 'Pass a function or leave the option out.');
  return value as T;
}

function checkStringList(option: string, value: unknown, check?: (entry: string) => boolean): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string' && entry !== '' && (check === undefined || check(entry)))) {
    throw invalid(option, value, 'Pass an array of non-empty strings.');
  }
  return value as string[];
}

function checkPatterns(option: string, value: unknown): readonly UrlPattern[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((entry) => (typeof entry === 'string' && entry !== '') || entry instanceof RegExp)) {
    throw invalid(option, value, 'Pass an array of strings (prefixes, `*` wildcards) or regular expressions.');
  }
  return value as UrlPattern[];
}

function checkCookieName(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !COOKIE_NAME.test(value)) {
    throw invalid(option, value, 'Use a cookie name made of letters, digits and !#$%&\'*+-.^_`|~ only.');
  }
  return value;
}

function resolveCookie(value: unknown): ResolvedCookieOptions {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw invalid('cookie', value, 'Pass an object such as { name: "wtstp_eid", maxAge: 15552000 }.');
  }
  const input = (value ?? {}) as Record<string, unknown>;
  rejectUnknownKeys(input, COOKIE_KEYS, 'cookie.');
  const domain = input.domain;
  if (domain !== undefined && (typeof domain !== 'string' || !/^\.?[a-z0-9.-]+$/i.test(domain))) {
    throw invalid('cookie.domain', domain, 'Use a host name such as "example.com", or leave it out for a host-only cookie.');
  }
  const path = input.path;
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/') || /[;\s\x00-\x1f\x7f]/.test(path))) {
    throw invalid('cookie.path', path, 'Use a path starting with "/" without ";" or whitespace.');
  }
  const maxAge = input.maxAge;
  if (maxAge !== undefined && (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0)) {
    throw invalid('cookie.maxAge', maxAge, 'Use a lifetime in whole seconds, e.g. 15552000 (6 months).');
  }
  const secure = input.secure;
  if (secure !== undefined && secure !== true && secure !== false && secure !== 'auto') {
    throw invalid('cookie.secure', secure, "Use true, false or 'auto'.");
  }
  const sameSite = input.sameSite;
  if (sameSite !== undefined && sameSite !== 'Lax' && sameSite !== 'Strict' && sameSite !== 'None') {
    throw invalid('cookie.sameSite', sameSite, "Use 'Lax', 'Strict' or 'None'.");
  }
  return {
    name: checkCookieName('cookie.name', input.name, 'wtstp_eid'),
    domain: domain as string | undefined,
    path: (path as string | undefined) ?? '/',
    maxAge: (maxAge as number | undefined) ?? 15552000,
    secure: (secure as boolean | 'auto' | undefined) ?? 'auto',
    httpOnly: checkBoolean('cookie.httpOnly', input.httpOnly, false),
    sameSite: (sameSite as 'Lax' | 'Strict' | 'None' | undefined) ?? 'Lax',
  };
}

function resolveNested<T extends object>(option: 'batch' | 'spool', value: unknown, keys: readonly string[]): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(option, value, `Pass an object with any of: ${keys.join(', ')}.`);
  }
  rejectUnknownKeys(value, keys, `${option}.`);
  for (const [key, entry] of Object.entries(value)) {
    if (entry === undefined) continue;
    if (key === 'dir' || key === 'prefix') {
      if (typeof entry !== 'string' || entry === '') throw invalid(`${option}.${key}`, entry, 'Use a non-empty string.');
    } else if (key === 'fsync') {
      if (entry !== 'always' && entry !== 'interval' && entry !== 'never') throw invalid(`${option}.${key}`, entry, "Use 'always', 'interval' or 'never'.");
    } else {
      checkPositive(`${option}.${key}`, entry, 1);
    }
  }
  return value as T;
}

function resolveTrust(value: unknown, source: string): { predicate: TrustPredicate; any: boolean } {
  const fix = "Use false (default), true, a hop count such as 1, or addresses/CIDRs/'loopback'/'linklocal'/'uniquelocal' (array or comma-separated string).";
  let normalized: boolean | number | readonly string[];
  if (value === undefined || typeof value === 'boolean') normalized = value ?? false;
  else if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw invalid(source, value, fix);
    normalized = value;
  } else if (typeof value === 'string') normalized = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  else if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) normalized = value as string[];
  else throw invalid(source, value, fix);
  const predicate = compileTrust(normalized);
  if (typeof predicate === 'string') throw invalid(source, value, `${predicate}. ${fix}`);
  const any = normalized !== false && normalized !== 0 && !(Array.isArray(normalized) && normalized.length === 0);
  return { predicate, any };
}

function resolveFlushOnExit(value: unknown): number | false {
  if (value === undefined || value === true) return DEFAULT_EXIT_TIMEOUT_MS;
  if (value === false) return false;
  return checkPositive('flushOnExit', value, DEFAULT_EXIT_TIMEOUT_MS);
}

const PROXY_HEADERS: readonly ProxyHeaders[] = ['auto', 'forwarded', 'x-forwarded'];

/**
 * `proxyHeaders` / `MAPP_PROXY_HEADERS`. The option must be spelt exactly; the environment
 * variable may differ in case and surrounding spaces, as the other `MAPP_*` values may.
 */
function resolveProxyHeaders(value: unknown, source: 'proxyHeaders' | 'MAPP_PROXY_HEADERS'): ProxyHeaders {
  if (value === undefined) return 'auto';
  const text = typeof value === 'string' && source === 'MAPP_PROXY_HEADERS' ? value.trim().toLowerCase() : value;
  if ((PROXY_HEADERS as readonly unknown[]).includes(text)) return text as ProxyHeaders;
  const best = typeof value === 'string' ? closest(value.trim(), PROXY_HEADERS) : undefined;
  const hint = best !== undefined ? `Did you mean '${best}'? ` : '';
  throw invalid(
    source,
    value,
    `${hint}Use 'auto' (default: the kind of forwarding header the request carries, both kinds only where they agree), 'forwarded' (RFC 7239 Forwarded, e.g. HAProxy option forwarded) or 'x-forwarded' (X-Forwarded-For/-Proto/-Host, e.g. nginx).`,
  );
}

/** User agents repeat heavily; isbot's large regex costs microseconds per call. */
const BOT_CACHE_SIZE = 2048;
const botCache = new Map<string, boolean>();

/** isbot, with a missing User-Agent counted as a bot (browsers always send one), memoised. */
function defaultIsBot(userAgent: string): boolean {
  if (userAgent === '') return true;
  let bot = botCache.get(userAgent);
  if (bot === undefined) {
    bot = isbot(userAgent);
    // Clearing (instead of LRU bookkeeping) keeps the hit path cheap; refills are rare.
    if (botCache.size >= BOT_CACHE_SIZE) botCache.clear();
    botCache.set(userAgent, bot);
  }
  return bot;
}

/** Calls the global fetch late, so test doubles installed after construction still apply. */
const globalFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

/**
 * Resolves user options and environment variables into a validated `ResolvedConfig`.
 * Explicit options beat env (`MAPP_TRACK_ID`, `MAPP_TRACK_DOMAIN`, `MAPP_TRANSPORT`,
 * `MAPP_TRUST_PROXY`, `MAPP_PROXY_HEADERS`, `MAPP_DRY_RUN`, `MAPP_DEBUG`). Throws a `TrackingError` naming the
 * option, the received value and the fix.
 */
export function resolveOptions(options: TrackerOptions, env: TrackerEnv = {}, settings: ResolveSettings = {}): ResolvedConfig {
  if (typeof options !== 'object' || options === null) {
    throw invalid('options', options, 'Pass an options object such as { trackId: "123451234512345", trackDomain: "track.example.com" }.');
  }
  rejectUnknownKeys(options, [...OPTION_KEYS, ...(settings.extraOptionKeys ?? [])], '');

  const rawTrackId = options.trackId ?? env.MAPP_TRACK_ID;
  if (rawTrackId === undefined || rawTrackId === '') {
    throw new MissingOptionError('trackId', 'mapp-s2s: missing option `trackId`. Pass your 15-digit Mapp track id as `trackId` or set MAPP_TRACK_ID.');
  }
  const { trackId, trackIds } = checkTrackId(rawTrackId, options.trackId !== undefined ? 'trackId' : 'MAPP_TRACK_ID');

  const rawDomain = options.trackDomain ?? env.MAPP_TRACK_DOMAIN;
  if (rawDomain === undefined || rawDomain === '') {
    throw new MissingOptionError('trackDomain', 'mapp-s2s: missing option `trackDomain`. Pass your Mapp track domain (e.g. "track.example.com" or "http://127.0.0.1:9700") as `trackDomain` or set MAPP_TRACK_DOMAIN.');
  }
  const { origin, trackHost } = checkTrackDomain(rawDomain, options.trackDomain !== undefined ? 'trackDomain' : 'MAPP_TRACK_DOMAIN');

  const transportSource = options.transport !== undefined ? 'transport' : 'MAPP_TRANSPORT';
  const transport = options.transport ?? (env.MAPP_TRANSPORT?.trim() || undefined) ?? settings.defaultTransport ?? 'direct';
  if (typeof transport !== 'function' && transport !== 'direct' && transport !== 'batch' && transport !== 'spool') {
    throw invalid(transportSource, transport, "Use 'direct', 'batch', 'spool' (from @mapp-s2s/core/node) or a transport factory function.");
  }
  const spool = resolveNested<SpoolOptions>('spool', options.spool, SPOOL_KEYS);
  if (transport === 'spool' && (spool.dir === undefined || spool.dir.trim() === '')) {
    throw new MissingOptionError(
      'spool.dir',
      `mapp-s2s: missing option \`spool.dir\`: ${transportSource} 'spool' writes hits to files and needs a folder, e.g. { transport: 'spool', spool: { dir: '/var/spool/mapp' } }.`,
    );
  }

  const trust =
    options.trustProxy !== undefined
      ? resolveTrust(options.trustProxy, 'trustProxy')
      : env.MAPP_TRUST_PROXY !== undefined
        ? resolveTrust(parseTrustProxyEnv(env.MAPP_TRUST_PROXY), 'MAPP_TRUST_PROXY')
        : resolveTrust(false, 'trustProxy');

  const privacySignals = options.privacySignals ?? 'anonymous';
  if (privacySignals !== 'anonymous' && privacySignals !== 'skip' && privacySignals !== 'ignore') {
    throw invalid('privacySignals', privacySignals, "Use 'anonymous' (default), 'skip' or 'ignore'.");
  }

  const logger = options.logger ?? console;
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function' || typeof logger.debug !== 'function' || typeof logger.error !== 'function') {
    throw invalid('logger', logger, 'Pass an object with debug, warn and error methods (console fits).');
  }

  const include = checkPatterns('include', options.include);
  const exclude = checkPatterns('exclude', options.exclude);

  return {
    trackId,
    trackIds,
    origin,
    trackHost,
    ownTrackDomain: !MAPP_HOST.test(trackHost),
    transport,
    timeout: checkPositive('timeout', options.timeout, DEFAULT_DIRECT_TIMEOUT_MS),
    timeoutExplicit: options.timeout !== undefined,
    fetchExplicit: options.fetch !== undefined,
    batch: resolveNested<BatchOptions>('batch', options.batch, BATCH_KEYS),
    spool,
    trustProxy: trust.predicate,
    trustsAnyProxy: trust.any,
    proxyHeaders:
      options.proxyHeaders !== undefined
        ? resolveProxyHeaders(options.proxyHeaders, 'proxyHeaders')
        : resolveProxyHeaders(env.MAPP_PROXY_HEADERS?.trim() || undefined, 'MAPP_PROXY_HEADERS'),
    clientIpHeaders: checkStringList('clientIpHeaders', options.clientIpHeaders, (name) => HEADER_NAME.test(name)).map((name) => name.toLowerCase()),
    anonymizeIp: checkBoolean('anonymizeIp', options.anonymizeIp, false),
    sendIp: checkBoolean('sendIp', options.sendIp, true),
    cookie: resolveCookie(options.cookie),
    customerId: checkFunction('customerId', options.customerId),
    pageName: checkFunction('pageName', options.pageName),
    pageNameParams: checkStringList('pageNameParams', options.pageNameParams),
    campaignParams: options.campaignParams === undefined ? DEFAULT_CAMPAIGN_PARAMS : checkStringList('campaignParams', options.campaignParams),
    domains: checkPatterns('domains', options.domains),
    consent: checkFunction('consent', options.consent),
    privacySignals,
    optOutCookie: checkCookieName('optOutCookie', options.optOutCookie, 'webtrekkOptOut'),
    anonymousCookie: checkCookieName('anonymousCookie', options.anonymousCookie, 'miCookieOptOut'),
    isBot: checkFunction<(userAgent: string) => boolean>('isBot', options.isBot) ?? defaultIsBot,
    ignoreStaticAssets: checkBoolean('ignoreStaticAssets', options.ignoreStaticAssets, true),
    include: include.length === 0 ? undefined : compilePatterns(include),
    exclude: exclude.length === 0 ? undefined : compilePatterns(exclude),
    skip: checkFunction('skip', options.skip),
    clientHints: checkBoolean('clientHints', options.clientHints, true),
    dryRun: options.dryRun !== undefined ? checkBoolean('dryRun', options.dryRun, false) : env.MAPP_DRY_RUN !== undefined ? parseBooleanEnv('MAPP_DRY_RUN', env.MAPP_DRY_RUN) : false,
    debug: options.debug !== undefined ? checkBoolean('debug', options.debug, false) : env.MAPP_DEBUG !== undefined ? parseBooleanEnv('MAPP_DEBUG', env.MAPP_DEBUG) : false,
    onEvent: checkFunction('onEvent', options.onEvent),
    logger,
    waitUntil: checkFunction('waitUntil', options.waitUntil),
    fetch: checkFunction<typeof fetch>('fetch', options.fetch) ?? globalFetch,
    flushOnExit: resolveFlushOnExit(options.flushOnExit),
  };
}
