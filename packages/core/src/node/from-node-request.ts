import { collectHeaderRecord, parseCookies, type RawHeaderValue } from '../headers.js';
import { receivedUrl, splitUrl } from '../request-facts.js';
import type { RequestContext } from '../types.js';

/**
 * The parts of a Node request that `fromNodeRequest` reads. Structural, so an Express
 * `req`, Koa's `ctx.req` and a raw `http.IncomingMessage` (HTTP/1 or HTTP/2 compat) all fit.
 */
export interface NodeRequestLike {
  method?: string | undefined;
  /** Path and query (`/a?b=1`); Express may rewrite it under a mount point. */
  url?: string | undefined;
  /** Express keeps the unrewritten URL here; preferred when present. */
  originalUrl?: string | undefined;
  headers: Readonly<Record<string, RawHeaderValue>>;
  socket?: { remoteAddress?: string | undefined; encrypted?: boolean | undefined } | null | undefined;
}

/** The parts of a Node response that `fromNodeRequest` reads. */
export interface NodeResponseLike {
  statusCode?: number | undefined;
  getHeader?(name: string): unknown;
}

/** `http://` or `https://` in any case: an absolute-form request target. */
const ABSOLUTE_FORM = /^https?:\/\//i;

/**
 * Converts a Node request (and, once finished, its response) into a neutral
 * `RequestContext`. The URL is rebuilt from the connection (TLS or not) and the `Host`
 * header; proxy headers are left for the core to apply only for trusted peers. An
 * absolute-form target (`GET https://evil.example/x HTTP/1.1`) contributes only its path;
 * it is kept as `absoluteTarget`, whose scheme and host the core never uses. Without a usable
 * `Host` the URL is the path and query alone (see `receivedUrl`): no page view.
 */
export function fromNodeRequest(req: NodeRequestLike, res?: NodeResponseLike): RequestContext {
  const { headers, cookie } = collectHeaderRecord(req.headers);
  const scheme = req.socket?.encrypted === true ? 'https' : 'http';
  let path = req.originalUrl ?? req.url ?? '/';
  let absoluteTarget: string | undefined;
  if (path.charCodeAt(0) !== 47 /* / */ && ABSOLUTE_FORM.test(path)) {
    absoluteTarget = path;
    const target = splitUrl(path);
    path = `${target.path}${target.search}`;
  }
  const authority = req.headers[':authority'];
  const url = receivedUrl(scheme, headers.host ?? (typeof authority === 'string' ? authority : undefined), path);
  let contentType: string | undefined;
  const header = res?.getHeader?.('content-type');
  if (typeof header === 'string') contentType = header;
  else if (Array.isArray(header) && typeof header[0] === 'string') contentType = header[0];
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    url,
    absoluteTarget,
    headers,
    cookies: parseCookies(cookie),
    remoteAddress: req.socket?.remoteAddress,
    status: res?.statusCode,
    contentType,
  };
}
