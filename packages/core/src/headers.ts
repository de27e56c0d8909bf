import { parseCookie } from 'cookie';
import type { HeadersLike } from './types.js';

/**
 * The prototype of every header record: empty, frozen, with nothing behind it. A record made
 * with `Object.create(null)` is a dictionary (slow) object, and copying a browser's ~15 headers
 * into one costs several times more than into an object with fast properties; an object made
 * from this prototype has fast properties, and still inherits nothing: a polluted
 * `Object.prototype` cannot answer a header lookup, and `__proto__` or `constructor` is an
 * ordinary name.
 */
const NOTHING_INHERITED: object = Object.freeze(Object.create(null) as object);

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
  const collector = new HeaderCollector(false);
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
  // A record's keys are unique: two can only meet once lower-cased (see `HeaderCollector`).
  const collector = new HeaderCollector(true);
  // Own keys only: a polluted Object.prototype must not add headers.
  const names = Object.keys(record);
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    collector.add(name, record[name]);
  }
  return { headers: collector.headers, cookie: collector.cookie };
}

/**
 * Makes the empty header records. Objects made by a constructor get room for their first
 * properties inside the object (V8's slack tracking), so adding a browser's ~15 headers
 * reallocates no separate property store as often as `Object.create` would.
 */
const HeaderRecord = function HeaderRecord(this: object) {} as unknown as new () => Record<string, string>;
HeaderRecord.prototype = NOTHING_INHERITED as Record<string, string>;

/** The rules of `collectHeaders` for one header. */
class HeaderCollector {
  readonly headers: Record<string, string> = new HeaderRecord();
  cookie = '';
  /**
   * Whether a name added so far may come again: always for entries (raw header lines repeat),
   * for a record (unique keys) only once a key needed lower-casing. Node's `req.headers` keys
   * are all lower case, so its headers are stored without looking up each name first.
   */
  private mayRepeat: boolean;

  constructor(uniqueKeys: boolean) {
    this.mayRepeat = !uniqueKeys;
  }

  add(rawName: string, rawValue: RawHeaderValue): void {
    // HTTP/2 pseudo-headers (`:authority`, `:path`) are connection facts, not headers.
    if (rawValue === undefined || rawValue === null || rawName.charCodeAt(0) === 58 /* : */) return;
    const name = rawName.toLowerCase();
    if (name !== rawName) this.mayRepeat = true;
    const value = typeof rawValue === 'string' ? rawValue : typeof rawValue === 'number' ? String(rawValue) : rawValue.join(name === 'cookie' ? '; ' : ', ');
    if (value === '') return;
    if (name === 'cookie') {
      this.cookie = this.cookie === '' ? value : `${this.cookie}; ${value}`;
      return;
    }
    // Credentials have no business in tracking data (cookies are parsed into `ctx.cookies`).
    if (name === 'authorization' || name === 'proxy-authorization') return;
    const previous = this.mayRepeat ? this.headers[name] : undefined;
    this.headers[name] = previous === undefined ? value : `${previous}, ${value}`;
  }
}

/** Options of every `parseCookie` call: values stay as sent. */
const KEEP_RAW = { decode: keepRaw };

/**
 * Parses a `Cookie` header; values stay as sent (not URL-decoded), the first occurrence wins.
 * `cookie`'s result is used as it is: an object that inherits nothing (its prototype chain ends
 * in a null-prototype object), holding only strings.
 */
export function parseCookies(header: string): Record<string, string> {
  if (header === '') return Object.create(NOTHING_INHERITED) as Record<string, string>;
  return parseCookie(header, KEEP_RAW) as Record<string, string>;
}

/** Adapts a web `Headers` (or anything shaped like it) to header entries. */
export function headersLikeEntries(headers: HeadersLike): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  headers.forEach((value, key) => {
    entries.push([key, value]);
  });
  return entries;
}
