import { collectHeaders, headersLikeEntries, parseCookies } from './headers.js';
import type { HeadersLike, RequestContext } from './types.js';

/** The parts of a web `Request` (or `NextRequest`) that `fromWebRequest` reads. */
export interface WebRequestLike {
  /** HTTP method; defaults to `GET`. */
  method?: string;
  /** Absolute URL, as a web `Request` always has. */
  url: string;
  headers: HeadersLike;
}

/** Facts a web `Request` does not carry, supplied by the adapter. */
export interface WebRequestExtras {
  /** TCP peer address, e.g. from the platform (`request.ip` on some hosts). */
  remoteAddress?: string | undefined;
  status?: number | undefined;
  contentType?: string | undefined;
  durationMs?: number | undefined;
}

/**
 * Converts a web-standard `Request` into a neutral `RequestContext`. Works on the Edge
 * runtime, in workers and in Node. Headers pass through the one allowlist: credentials
 * are dropped and cookies are parsed into `cookies`.
 */
export function fromWebRequest(request: WebRequestLike, extras: WebRequestExtras = {}): RequestContext {
  const { headers, cookie } = collectHeaders(headersLikeEntries(request.headers));
  return {
    method: (request.method ?? 'GET').toUpperCase(),
    url: request.url,
    headers,
    cookies: parseCookies(cookie),
    remoteAddress: extras.remoteAddress,
    status: extras.status,
    contentType: extras.contentType,
    durationMs: extras.durationMs,
  };
}
