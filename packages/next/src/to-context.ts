import { fromWebRequest, receivedUrl } from '@mapp-s2s/core';
import type { RequestContext } from '@mapp-s2s/core';
import type { RequestSource } from './types.js';
import { METHOD_HEADER } from './apply-cookie.js';

/**
 * Splits `X-Forwarded-For` into the peer (its right-most entry) and the hops before it.
 * Next.js never shows the TCP peer to middleware: `next start` copies the socket address
 * into `X-Forwarded-For` when the request has none, and a proxy in front appends the address
 * it saw. So the right-most entry is the peer as far as this app can know; the rest goes to
 * the core byte for byte (empty entries and junk included), so the core's rules (stop at the
 * first entry that is no IP, `trustProxy`) decide exactly as in every other adapter.
 */
export function splitForwardedFor(value: string | null): { peer?: string; rest?: string } {
  if (value === null) return {};
  const last = value.lastIndexOf(',');
  const peer = value.slice(last + 1).trim();
  return { peer: peer === '' ? undefined : peer, rest: last === -1 ? undefined : value.slice(0, last) };
}

/** Builds the absolute page URL from the `Host` header: Next rewrites `request.url` to its own hostname (`localhost`). */
function pageUrl(source: RequestSource, scheme: string | undefined): string {
  const host = source.headers.get('host');
  let base: URL | undefined;
  try {
    base = source.url ? new URL(source.url) : undefined;
  } catch {
    base = undefined; // a relative `url` from a page: resolved against the Host below
  }
  const path = base ? `${base.pathname}${base.search}` : source.url && source.url.startsWith('/') ? source.url : '/';
  // A Host header that is empty or forged (`a.example/admin?x=`) leaves the URL without a host: no page view.
  if (host !== null) return receivedUrl(scheme ?? base?.protocol.slice(0, -1) ?? 'http', host, path);
  // No Host header at all (a `Request` built in code, `headers()` of a test): the URL's own origin.
  return `${base?.origin ?? 'http://localhost'}${path}`;
}

/** Cookies set by middleware for this request (`x-middleware-set-cookie`), as name to value. */
export function middlewareCookies(source: RequestSource): Record<string, string> {
  const header = source.headers.get('x-middleware-set-cookie');
  if (!header) return {};
  const cookies: Record<string, string> = {};
  // Next joins several Set-Cookie values with ", "; a value is `name=value; attributes`.
  for (const part of header.split(/,(?=\s*[^;,=\s]+=)/)) {
    const pair = part.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq > 0) cookies[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return cookies;
}

/**
 * Converts a `NextRequest`, a `Request` or `await headers()` into the core's context. Only
 * Next facts are added here (page URL from `Host`, the peer from `X-Forwarded-For`, cookies
 * minted by the middleware earlier in the same request); every decision stays in the core.
 */
export function toContext(source: RequestSource, connection: { remoteAddress?: string | undefined; protocol?: string | undefined } = {}): RequestContext {
  const forwarded = splitForwardedFor(source.headers.get('x-forwarded-for'));
  const headers = {
    forEach(callback: (value: string, key: string) => void): void {
      source.headers.forEach((value, key) => {
        const name = key.toLowerCase();
        if (name === 'x-forwarded-for') {
          if (forwarded.rest !== undefined) callback(forwarded.rest, name);
        } else if (name !== 'x-middleware-set-cookie' && name !== METHOD_HEADER) {
          callback(value, name);
        }
      });
    },
    get: (name: string): string | null => {
      const lower = name.toLowerCase();
      if (lower === METHOD_HEADER) return null;
      return lower === 'x-forwarded-for' ? forwarded.rest ?? null : source.headers.get(name);
    },
  };
  // A page sees only `headers()`: the middleware told it the method when it is not GET.
  const method = source.method ?? source.headers.get(METHOD_HEADER) ?? 'GET';
  const context = fromWebRequest(
    { method, url: pageUrl(source, connection.protocol), headers },
    { remoteAddress: connection.remoteAddress ?? forwarded.peer },
  );
  const minted = middlewareCookies(source);
  // What the middleware just set is what the browser holds after this response.
  return Object.keys(minted).length > 0 ? { ...context, cookies: { ...context.cookies, ...minted } } : context;
}
