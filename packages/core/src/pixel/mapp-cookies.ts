/**
 * The only cookies that ever cross the proxy, in either direction. Everything else the browser
 * sends to the site (session, auth, cart, consent tools…) stays on the server.
 *
 * Why these names (PROTOCOL.md §6):
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

/**
 * Filters Mapp's `Set-Cookie` headers by the allowlist and rewrites their scope to the site:
 * Mapp's `Domain` (its track domain) is replaced by `siteDomain`, or dropped so the cookie
 * becomes host-only on the site that served the pixel request.
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
    const kept = attributes.filter((attribute) => attribute !== '' && !/^domain\s*=/i.test(attribute));
    if (siteDomain !== undefined && siteDomain !== '') kept.push(`Domain=${siteDomain}`);
    result.push([pair, ...kept].join('; '));
  }
  return result;
}
