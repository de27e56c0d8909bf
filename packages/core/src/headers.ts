import { parseCookie } from 'cookie';
import type { HeadersLike } from './types.js';

/**
 * Header names never copied into a `RequestContext`: credentials have no business in
 * tracking data, and cookies are parsed separately into `ctx.cookies`.
 */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['cookie', 'authorization', 'proxy-authorization']);

/** Header values as the two runtimes hand them to us. */
export type RawHeaderValue = string | number | readonly string[] | undefined | null;

/** Keeps a cookie value exactly as sent; the core decodes only the cookies it reads. */
const keepRaw = (value: string): string => value;

/**
 * The single place where request headers enter the core (STYLE.md §5): keys lower-cased,
 * repeated values joined with `", "`, empty values skipped, credentials dropped.
 * Returns the headers and the raw `Cookie` header (joined with `"; "`).
 */
export function collectHeaders(entries: Iterable<readonly [string, RawHeaderValue]>): {
  headers: Record<string, string>;
  cookie: string;
} {
  const collector = new HeaderCollector();
  for (const [rawName, rawValue] of entries) collector.add(rawName, rawValue);
  return { headers: collector.headers, cookie: collector.cookie };
}

/**
 * `collectHeaders` over a Node-style header record (`req.headers`), without the
 * `[name, value]` pair per header that `Object.entries` would allocate on every request.
 */
export function collectHeaderRecord(record: Readonly<Record<string, RawHeaderValue>>): {
  headers: Record<string, string>;
  cookie: string;
} {
  const collector = new HeaderCollector();
  // Own keys only: a polluted Object.prototype must not add headers.
  const names = Object.keys(record);
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    collector.add(name, record[name]);
  }
  return { headers: collector.headers, cookie: collector.cookie };
}

/** The rules of `collectHeaders` for one header. */
class HeaderCollector {
  readonly headers: Record<string, string> = Object.create(null) as Record<string, string>;
  cookie = '';

  add(rawName: string, rawValue: RawHeaderValue): void {
    // HTTP/2 pseudo-headers (`:authority`, `:path`) are connection facts, not headers.
    if (rawValue === undefined || rawValue === null || rawName.charCodeAt(0) === 58 /* : */) return;
    const name = rawName.toLowerCase();
    const value = typeof rawValue === 'string' ? rawValue : typeof rawValue === 'number' ? String(rawValue) : rawValue.join(name === 'cookie' ? '; ' : ', ');
    if (value === '') return;
    if (name === 'cookie') {
      this.cookie = this.cookie === '' ? value : `${this.cookie}; ${value}`;
      return;
    }
    if (CREDENTIAL_HEADERS.has(name)) return;
    const previous = this.headers[name];
    this.headers[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
}

/** Parses a `Cookie` header; values stay as sent (not URL-decoded), the first occurrence wins. */
export function parseCookies(header: string): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null) as Record<string, string>;
  if (header === '') return cookies;
  const parsed = parseCookie(header, { decode: keepRaw });
  for (const name of Object.keys(parsed)) {
    const value = parsed[name];
    if (value !== undefined) cookies[name] = value;
  }
  return cookies;
}

/** Adapts a web `Headers` (or anything shaped like it) to header entries. */
export function headersLikeEntries(headers: HeadersLike): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  headers.forEach((value, key) => {
    entries.push([key, value]);
  });
  return entries;
}
