import { safeDecode } from './encode.js';
import { splitUrl } from './request-facts.js';
import type { UrlPattern } from './types.js';

/** First value of each query parameter, names and values URL-decoded. */
function queryValues(search: string, wanted: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  if (search.length < 2) return values;
  for (const pair of search.slice(1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = safeDecode((eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
    if (!wanted.includes(name) || values.has(name)) continue;
    values.set(name, safeDecode((eq === -1 ? '' : pair.slice(eq + 1)).replace(/\+/g, ' ')));
  }
  return values;
}

/**
 * The campaign media code of a landing URL: `<param>=<value>` for the first of `params` that the
 * query carries with a value (in `params` order), decoded once, or undefined. The hit builder
 * encodes it twice as `mc` (PROTOCOL.md §3).
 */
export function campaignFromQuery(search: string, params: readonly string[]): string | undefined {
  if (params.length === 0 || search.length < 2) return undefined;
  const values = queryValues(search, params);
  for (const param of params) {
    const value = values.get(param);
    if (value !== undefined && value !== '') return `${param}=${value}`;
  }
  return undefined;
}

/**
 * The default page name (PROTOCOL.md §8): URL-decoded, scheme dropped, `host[:port]/path`
 * lower-cased, then `?k=v&...` for the whitelisted parameters that are present, in the
 * configured order; `0` when there is no URL.
 * Example: `https://Shop.Example.com/DE/Shoes?sort=price&size=42` with `['size']` gives
 * `shop.example.com/de/shoes?size=42`.
 */
export function defaultPageName(host: string, path: string, search: string, params: readonly string[]): string {
  if (host === '') return '0';
  let name = `${host}${safeDecode(path)}`.toLowerCase();
  if (params.length > 0 && search.length > 1) {
    const values = queryValues(search, params);
    let query = '';
    for (const param of params) {
      const value = values.get(param);
      if (value === undefined) continue;
      query += `${query === '' ? '?' : '&'}${param}=${value}`;
    }
    name += query;
  }
  return name;
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
 * `p` field 8 (PROTOCOL.md §8): `0` without a `Referer`, `1` when its host is one of the
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
