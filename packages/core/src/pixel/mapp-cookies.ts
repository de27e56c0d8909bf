/**
 * The only cookies that ever cross the proxy, in either direction. Everything else the browser
 * sends to the site (session, auth, cart, consent tools…) stays on the server.
 *
 * Why these names (docs/protocol.md §6):
 * - `wteid_<trackId>` / `wtsid_<trackId>`: the tracker's own ever-id and session cookies for
 *   an account; in third-party-cookie mode the tracker reads them from the request and sets
 *   them in its answer. Only the configured track ids qualify.
 * - `wtstp_eid`: the Smart Pixel's first-party ever id (read first by every library).
 * - `wt3_eid`, `wt3_sid`: the old pixel's ever-id and session cookies, still read by the tracker.
 */
export function mappCookieNames(trackIds: readonly string[]): Set<string> {
  const names = new Set(['wtstp_eid', 'wt3_eid', 'wt3_sid']);
  for (const id of trackIds) {
    names.add(`wteid_${id}`);
    names.add(`wtsid_${id}`);
  }
  return names;
}

// RFC 6265 cookie-octet: refusing anything else keeps a value from adding a cookie or a header.
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;

/** The `Cookie` header for Mapp: allowlisted names with safe values only, or `undefined`. */
export function mappCookieHeader(cookies: Readonly<Record<string, string>>, allowed: ReadonlySet<string>): string | undefined {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(cookies)) {
    if (allowed.has(name) && COOKIE_VALUE.test(value)) parts.push(`${name}=${value}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

// The attributes a relayed cookie may keep, each with the only values accepted.
const COOKIE_PATH = /^path=(\/[\x21-\x3a\x3c-\x7e]*)$/i;
const COOKIE_MAX_AGE = /^max-age=(-?\d{1,10})$/i;
const COOKIE_EXPIRES = /^expires=([A-Za-z0-9 ,:-]{1,40})$/i;
const COOKIE_SAME_SITE = /^samesite=(strict|lax|none)$/i;

/** The attributes of one relayed cookie, rebuilt from an allowlist; `Domain` is never kept. */
function safeAttributes(attributes: readonly string[]): string[] {
  const kept: string[] = [];
  for (const attribute of attributes) {
    let match: RegExpExecArray | null;
    if ((match = COOKIE_PATH.exec(attribute)) !== null) kept.push(`Path=${match[1] ?? '/'}`);
    else if ((match = COOKIE_MAX_AGE.exec(attribute)) !== null) kept.push(`Max-Age=${match[1] ?? '0'}`);
    else if ((match = COOKIE_EXPIRES.exec(attribute)) !== null && !Number.isNaN(Date.parse(match[1] ?? ''))) kept.push(`Expires=${match[1] ?? ''}`);
    else if ((match = COOKIE_SAME_SITE.exec(attribute)) !== null) {
      const value = (match[1] ?? 'lax').toLowerCase();
      kept.push(`SameSite=${value.charAt(0).toUpperCase()}${value.slice(1)}`);
    } else if (/^secure$/i.test(attribute)) kept.push('Secure');
    else if (/^httponly$/i.test(attribute)) kept.push('HttpOnly');
  }
  return kept;
}

/**
 * Filters Mapp's `Set-Cookie` headers, the only part of its answer that reaches the browser
 * (docs/protocol.md §6: the tracker's own cookies in third-party-cookie mode). Only allowlisted
 * names with RFC 6265 values pass; of the attributes only `Path`, `Max-Age`, `Expires`,
 * `Secure`, `HttpOnly` and `SameSite` with well-formed values are kept, rebuilt (never
 * copied). Mapp's `Domain` (its track domain) is replaced by `siteDomain`, or dropped so the
 * cookie becomes host-only on the site that served the pixel request.
 */
export function rewriteSetCookies(
  setCookies: readonly string[],
  allowed: ReadonlySet<string>,
  siteDomain?: string,
): string[] {
  const result: string[] = [];
  for (const header of setCookies) {
    if (/[\r\n\0]/.test(header)) continue;
    const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
    const mark = pair.indexOf('=');
    if (mark <= 0) continue;
    const name = pair.slice(0, mark);
    if (!allowed.has(name) || !COOKIE_VALUE.test(pair.slice(mark + 1))) continue;
    const kept = safeAttributes(attributes);
    if (siteDomain !== undefined && siteDomain !== '') kept.push(`Domain=${siteDomain}`);
    result.push([pair, ...kept].join('; '));
  }
  return result;
}
