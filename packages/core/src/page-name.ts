import { safeDecode } from './encode.js';
import { splitUrl } from './request-facts.js';
import type { UrlPattern } from './types.js';

/** Decodes one query-string name or value as a form would send it: `+` is a space. */
function decodeQueryPart(text: string): string {
  return safeDecode(text.indexOf('+') === -1 ? text : text.replace(/\+/g, ' '));
}

/**
 * `false` when `search` certainly holds none of the `wanted` names: without `%` or `+` nothing
 * in it decodes to anything else, so a wanted name must appear as it is. Spares the split and
 * the decoding on most page views, whose queries carry none of them.
 */
function mayHold(search: string, wanted: readonly string[]): boolean {
  if (search.includes('%') || search.includes('+')) return true;
  for (let i = 0; i < wanted.length; i++) if (search.includes(wanted[i] as string)) return true;
  return false;
}

/** What {@link queryValues} finds in a query that holds none of the names it wants. */
const NO_VALUES: ReadonlyMap<string, string> = new Map();

/**
 * The values of the `wanted` query parameters, names and values URL-decoded (`+` as a space).
 * A name is matched exactly (case-sensitive). With `lastWins`, a repeated parameter keeps its
 * last value (what a server's query map holds); otherwise its first. A pair without `=` has an
 * empty value.
 */
function queryValues(search: string, wanted: readonly string[], lastWins: boolean): ReadonlyMap<string, string> {
  // Most queries hold none of the wanted names: no Map for them.
  if (search.length < 2 || !mayHold(search, wanted)) return NO_VALUES;
  const values = new Map<string, string>();
  for (const pair of search.slice(1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeQueryPart(eq === -1 ? pair : pair.slice(0, eq));
    if (!wanted.includes(name) || (!lastWins && values.has(name))) continue;
    values.set(name, eq === -1 ? '' : decodeQueryPart(pair.slice(eq + 1)));
  }
  return values;
}

/**
 * The campaign media code of a landing URL: `<param>=<value>` for the first of `params` that the
 * query carries with a value (in `params` order), decoded once, or undefined. The hit builder
 * encodes it twice as `mc` (docs/protocol.md §3). A repeated parameter gives its first value, as the
 * Smart Pixel reads a landing URL (the official server libraries do not read media codes from the
 * URL at all).
 */
export function campaignFromQuery(search: string, params: readonly string[]): string | undefined {
  if (params.length === 0 || search.length < 2) return undefined;
  const values = queryValues(search, params, false);
  for (const param of params) {
    const value = values.get(param);
    if (value !== undefined && value !== '') return `${param}=${value}`;
  }
  return undefined;
}

/**
 * The default page name, built as Mapp's official Node, Java and PHP libraries build it
 * (docs/protocol.md §8): `host[:port]/path`, URL-decoded, then `?k=v&...` for the whitelisted
 * parameters (`pageNameParams`, in the configured order) that carry a non-empty value, and
 * the **whole** name lower-cased, parameters included; `0` when there is no URL.
 *
 * - A parameter name is matched exactly (case-sensitive) and written as configured.
 * - A repeated parameter: the last value wins (a last empty value drops the parameter).
 * - A parameter without a value (`?size=` or `?size`) is left out.
 *
 * Deliberate differences from the libraries (each a library quirk, not a rule; see the
 * README): `+` in a parameter value is a space (as Java and PHP decode it; Node keeps `+`);
 * a value containing `=` or an encoded `&` is kept whole (Node and Java cut it); a value `0` is
 * kept (PHP drops it); the default port (`:80`, `:443`) is dropped (as the browser's
 * `location.host` and Node's `URL` do; Java and PHP keep it); a decoded `%3F` or `//` in the
 * path stays in the name (Node and Java cut the name there).
 *
 * Examples: `https://Shop.Example.com/DE/Shoes?sort=price&size=42` with `['size']` gives
 * `shop.example.com/de/shoes?size=42`; `?q=Red%20Shoes&Size=XL` with `['q', 'Size']` gives
 * `...?q=red shoes&size=xl`; `?size=42&size=43` gives `size=43`.
 */
export function defaultPageName(host: string, path: string, search: string, params: readonly string[]): string {
  if (host === '') return '0';
  let name = `${withoutDefaultPort(host)}${safeDecode(path)}`;
  if (params.length > 0 && search.length > 1) {
    const values = queryValues(search, params, true);
    let query = '';
    for (const param of params) {
      const value = values.get(param);
      if (value === undefined || value === '') continue;
      query += `${query === '' ? '?' : '&'}${param}=${value}`;
    }
    name += query;
  }
  return name.toLowerCase();
}

/** Strips the default port so `example.com` and `example.com:443` compare equal. */
function withoutDefaultPort(host: string): string {
  return host.endsWith(':443') ? host.slice(0, -4) : host.endsWith(':80') ? host.slice(0, -3) : host;
}

/** Host name without port (IPv6 brackets kept). */
function hostName(host: string): string {
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    return close === -1 ? host : host.slice(0, close + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * `p` field 8 (docs/protocol.md §8): `0` without a `Referer`, `1` when its host is one of the
 * site's own domains (default: the request host, port kept unless 80/443), else the URL.
 * Own-domain strings match the host (with or without port), case-insensitively; a leading
 * `.` or `*.` also matches subdomains. Regular expressions are tested against the host.
 */
export function referrerField(referer: string | undefined, requestHost: string, domains: readonly UrlPattern[]): string {
  if (referer === undefined || referer.trim() === '') return '0';
  const refHost = withoutDefaultPort(splitUrl(referer.trim()).host.toLowerCase());
  if (refHost === '') return referer;
  if (domains.length === 0) return refHost === withoutDefaultPort(requestHost) ? '1' : referer;
  const refName = hostName(refHost);
  for (const domain of domains) {
    if (typeof domain === 'string') {
      const d = domain.toLowerCase();
      if (d.startsWith('*.') || d.startsWith('.')) {
        const suffix = d.startsWith('*.') ? d.slice(1) : d;
        if (refName.endsWith(suffix) || refName === suffix.slice(1)) return '1';
      } else if (d === refHost || d === refName) return '1';
    } else {
      domain.lastIndex = 0;
      if (domain.test(refHost) || domain.test(refName)) return '1';
    }
  }
  return referer;
}
