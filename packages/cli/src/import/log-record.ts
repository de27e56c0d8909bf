/**
 * One access-log line as the importer understands it, whatever the format it came in
 * (nginx `log_format`, `combined`/`common`, JSON lines), and its conversion to the core's
 * `RecordedRequest`. Parsers fill a record; they never decide what is a page view (the core does).
 */
import { isIpAddress, type RecordedRequest } from '@mapp-s2s/core';
import { MAX_TIME_MS, MIN_TIME_MS } from './log-time.js';

/** The facts of one logged request; `undefined` where the log does not hold them (or holds `-`). */
export interface LogRecord {
  /** The TCP peer as logged (`$remote_addr`). */
  ip: string | undefined;
  /** When the request was served, ms since the epoch (NaN when unparsable). */
  time: number;
  /** Upper-case method (`$request_method` or the first word of `$request`). */
  method: string | undefined;
  /** Request target as received: `/path?query` (or absolute-form). */
  uri: string | undefined;
  /** `$uri` (a path without query) and `$args`, when the format logs those instead of `$request_uri`. */
  path: string | undefined;
  args: string | undefined;
  status: number | undefined;
  /** Host from the log: `$host`, else `$http_host`, else `$server_name`. */
  host: string | undefined;
  httpHost: string | undefined;
  serverName: string | undefined;
  /** `$scheme`. */
  scheme: string | undefined;
  /** `$sent_http_content_type`. */
  contentType: string | undefined;
  /** `$http_cookie`: the whole Cookie header. */
  cookieHeader: string | undefined;
  /** `$cookie_<name>` values. */
  cookies: Record<string, string>;
  /** Request headers from `$http_<name>` (lower-case, `-` for `_`): user-agent, referer, x-forwarded-for... */
  headers: Record<string, string>;
}

/**
 * Why a line did not parse (counted and listed as malformed): `host` for a logged host that
 * is no host name, `ip` for a logged client that is no IP address, `record` for a record the
 * tracker refused all the same (a safety net: the parsers check every field the tracker checks).
 */
export type MalformedReason = 'format' | 'time' | 'status' | 'json' | 'too-long' | 'encoding' | 'host' | 'ip' | 'record';

/** A host as `--host` and the core take it: a name, IPv4 or bracketed IPv6, optional port. */
const HOST = /^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * `true` for `host` or `host:port` (a name, IPv4 or bracketed IPv6; at most 260 characters,
 * as the core's Host check), without scheme, path, query or anything else: what `--host`
 * accepts and what a logged host must be to become part of a page URL.
 */
export function isValidHost(host: string): boolean {
  return host.length <= 260 && HOST.test(host);
}

/** A line that parsed but cannot become a request: counted and listed as malformed. */
export interface MalformedRecord {
  readonly malformed: MalformedReason;
}

const MALFORMED_HOST: MalformedRecord = Object.freeze({ malformed: 'host' });
const MALFORMED_TIME: MalformedRecord = Object.freeze({ malformed: 'time' });
const MALFORMED_IP: MalformedRecord = Object.freeze({ malformed: 'ip' });

/** A fresh, empty record. */
export function emptyRecord(): LogRecord {
  return {
    ip: undefined,
    time: Number.NaN,
    method: undefined,
    uri: undefined,
    path: undefined,
    args: undefined,
    status: undefined,
    host: undefined,
    httpHost: undefined,
    serverName: undefined,
    scheme: undefined,
    contentType: undefined,
    cookieHeader: undefined,
    cookies: {},
    headers: {},
  };
}

/** What a line's request becomes when it is no page request at all. */
export type RecordSkip = 'invalid-request' | 'no-host';

/** Where the page URL comes from besides the log. */
export interface SiteSettings {
  /** `--host`: overrides the logged host. */
  host: string | undefined;
  /** `--scheme`: overrides the logged scheme; default `https`. */
  scheme: string | undefined;
}

/** Splits `GET /path HTTP/1.1` into method and target; false when it is no request line. */
export function splitRequestLine(record: LogRecord, request: string): boolean {
  const first = request.indexOf(' ');
  if (first <= 0) return false;
  const second = request.indexOf(' ', first + 1);
  const target = second === -1 ? request.slice(first + 1) : request.slice(first + 1, second);
  if (target === '') return false;
  record.method = request.slice(0, first);
  record.uri = target;
  return true;
}

/** A method as the core expects it: a token, upper case. */
function isToken(method: string): boolean {
  for (let i = 0; i < method.length; i++) {
    const c = method.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95)) return false;
  }
  return method.length > 0 && method.length <= 20;
}

/** Cookie header `a=1; b=2` into `cookies` (first occurrence wins, as the core's normalizers do). */
function addCookieHeader(cookies: Record<string, string>, header: string): void {
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end) {
      const name = header.slice(start, eq).trim();
      if (name !== '' && cookies[name] === undefined) cookies[name] = header.slice(eq + 1, end).trim();
    }
    start = end + 1;
  }
}

/**
 * The record as the core's `RecordedRequest`: the page URL from `--scheme`/`--host` or the
 * logged scheme and host, the logged client as the peer (the core walks a logged
 * `X-Forwarded-For` only when `trustProxy` trusts it), headers and cookies as logged. A
 * logged host is checked as `--host` is ({@link isValidHost}): `evil.example/path?x=` would
 * otherwise put another path into the page URL, so such a line is malformed (`host`).
 */
export function toRecordedRequest(record: LogRecord, site: SiteSettings): RecordedRequest | RecordSkip | MalformedRecord {
  let target = record.uri;
  if (target === undefined && record.path !== undefined) target = record.args === undefined || record.args === '' ? record.path : `${record.path}?${record.args}`;
  const method = record.method;
  // The core refuses a time that is no epoch ms; the parsers refuse those already (and any
  // other than 13 digits, Mapp's `p` field 7): this keeps a parser's slip a malformed line.
  if (!(record.time >= MIN_TIME_MS && record.time <= MAX_TIME_MS)) return MALFORMED_TIME;
  if (target === undefined || method === undefined || !isToken(method)) return 'invalid-request';
  let absoluteTarget: string | undefined;
  if (target.charCodeAt(0) !== 47 /* / */) {
    // Absolute-form (a proxy request): the path counts; its host is the client's word, so the
    // core weighs it only from a trusted proxy, as for a live request.
    const lower = target.slice(0, 8).toLowerCase();
    const schemeEnd = lower.startsWith('https://') ? 8 : lower.startsWith('http://') ? 7 : -1;
    if (schemeEnd === -1) return 'invalid-request';
    absoluteTarget = target;
    const slash = target.indexOf('/', schemeEnd);
    const query = target.indexOf('?', schemeEnd);
    const cut = slash === -1 ? query : query === -1 ? slash : Math.min(slash, query);
    target = cut === -1 ? '/' : target.charCodeAt(cut) === 47 ? target.slice(cut) : `/${target.slice(cut)}`;
  }
  const host = site.host ?? record.host ?? record.httpHost ?? record.serverName;
  if (host === undefined || host === '') return 'no-host';
  if (site.host === undefined && !isValidHost(host)) return MALFORMED_HOST;
  // A logged client that is no address (a host name with HostnameLookups, nginx's `unix:`)
  // would send the hit without X-WT-IP, and Mapp would count the importing machine as the visitor.
  if (record.ip !== undefined && !isIpAddress(record.ip)) return MALFORMED_IP;
  const scheme = site.scheme ?? (record.scheme === 'http' || record.scheme === 'https' ? record.scheme : 'https');
  const cookies = record.cookies;
  if (record.cookieHeader !== undefined) addCookieHeader(cookies, record.cookieHeader);
  const headers = record.headers;
  if (record.httpHost !== undefined && headers.host === undefined) headers.host = record.httpHost;
  const request: RecordedRequest = {
    method: method.toUpperCase(),
    url: `${scheme}://${host}${target}`,
    headers,
    cookies,
    remoteAddress: record.ip,
    status: record.status,
    time: record.time,
  };
  if (absoluteTarget !== undefined) request.absoluteTarget = absoluteTarget;
  if (record.contentType !== undefined) request.contentType = record.contentType;
  return request;
}
