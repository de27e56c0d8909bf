import { isRetryableStatus, parseRetryAfter } from './retry.js';

/** What one HTTP exchange with Mapp came to. @internal */
export type HttpResult =
  | { kind: 'ok'; status: number; latencyMs: number }
  | { kind: 'retry'; status?: number; reason: string; retryAfterMs?: number; error?: Error }
  | { kind: 'reject'; status: number; reason: string };

/** A request to Mapp: a GET, or a POST of lines (bytes, or a string sent as UTF-8). @internal */
export interface MappRequestInit {
  readonly method: 'GET' | 'POST';
  readonly body?: string | Uint8Array<ArrayBuffer>;
}

/**
 * One request to Mapp, as the transports make it: `requestMapp` over a fetch, or the Node
 * entry's undici client. Never rejects.
 * @internal
 */
export type HttpRequester = (url: string, init: MappRequestInit, timeoutMs: number, abort?: AbortSignal) => Promise<HttpResult>;

/** An HTTP client for one transport: `close()` frees its idle connections. @internal */
export interface HttpClient {
  readonly request: HttpRequester;
  close(): void;
}

/**
 * Makes a transport's HTTP client from the tracker's fetch (the Node entry passes one that
 * uses undici). Transports without one call `requestMapp` over `fetch`.
 * @internal
 */
export type HttpClientFactory = (fetchFn: typeof fetch) => HttpClient;

/** Thrown-away marker for requests aborted by `close()`. @internal */
export const ABORTED_BY_CLOSE = 'mapp-s2s: transport closed';

/**
 * One request to Mapp with a hard timeout. Never rejects. Redirects are not followed
 * (`redirect: 'manual'`): a 3xx is a final rejection (docs/protocol.md §1, "3xx: don't follow").
 * The response body is always consumed so keep-alive sockets return to the pool.
 * @internal
 */
export async function requestMapp(
  fetchFn: typeof fetch,
  url: string,
  init: MappRequestInit,
  timeoutMs: number,
  abort?: AbortSignal,
): Promise<HttpResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
  (timer as { unref?: () => void }).unref?.();
  const onAbort = (): void => controller.abort(new Error(ABORTED_BY_CLOSE));
  abort?.addEventListener('abort', onAbort, { once: true });
  const started = Date.now();
  try {
    const response = await fetchFn(url, {
      method: init.method,
      // Bytes are copied: a transport reuses its body's array once this settles, and a user's
      // fetch (or a test double) may still look at the body after that.
      ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : init.body.slice(), headers: { 'content-type': 'text/plain; charset=utf-8' } }),
      redirect: 'manual',
      signal: controller.signal,
    });
    try {
      await response.arrayBuffer();
    } catch {
      // The status is what counts; a body cut short changes nothing.
    }
    const status = response.status;
    if (status >= 200 && status < 300) return { kind: 'ok', status, latencyMs: Date.now() - started };
    if (isRetryableStatus(status)) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
      return { kind: 'retry', status, reason: `HTTP ${status}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }
    // 'opaqueredirect' responses (some fetch implementations) report status 0.
    return { kind: 'reject', status, reason: `HTTP ${status === 0 ? '3xx' : status}` };
  } catch (cause) {
    const reason = controller.signal.aborted ? asError(controller.signal.reason).message : describeNetworkError(cause, url);
    return { kind: 'retry', reason, error: asError(cause) };
  } finally {
    clearTimeout(timer);
    abort?.removeEventListener('abort', onAbort);
  }
}

/**
 * An `Error` from anything thrown. Duck-typed, not `instanceof`: errors from another
 * realm (undici inside test runners, vm contexts) must keep their `code` and `cause`.
 * @internal
 */
export function asError(error: unknown): Error {
  if (typeof error === 'object' && error !== null && typeof (error as Error).message === 'string') return error as Error;
  return new Error(String(error));
}

/** `https://host:port` of a request URL (no path: the track id is not the problem). */
function originOf(url: string): string {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  return slash === -1 ? url : url.slice(0, slash);
}

/**
 * What a failed connection means, naming the endpoint and the fix: the code first (stable,
 * for matching), then a sentence. The classic mistakes get a hint: a bare `trackDomain`
 * (HTTPS implied) pointing at a plain-HTTP collector fails the TLS handshake; a typo in the
 * host does not resolve.
 * @internal
 */
export function describeNetworkError(cause: unknown, url: string): string {
  let code: string | undefined;
  let message = '';
  if (typeof cause === 'object' && cause !== null) {
    // undici hides the socket error (ECONNRESET, ECONNREFUSED) in `cause`.
    const inner = (cause as { cause?: { code?: string; message?: string } }).cause;
    const outer = cause as { code?: string; message?: string };
    code = inner?.code ?? outer.code;
    message = inner?.message ?? outer.message ?? '';
  } else {
    message = String(cause);
  }
  const origin = originOf(url);
  const host = origin.replace(/^[a-z]+:\/\//i, '');
  const tls = /wrong version number|packet length too long|unknown protocol|ssl3_get_record|http request/i.test(message) || code === 'ERR_SSL_WRONG_VERSION_NUMBER';
  if (origin.startsWith('https:') && (tls || code === 'EPROTO')) {
    return `${code ?? 'EPROTO'}: the TLS handshake with ${origin} failed; if that endpoint speaks plain HTTP (a local collector), set trackDomain to "http://${host}"`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `${code}: the host of ${origin} does not resolve; check trackDomain (${host})`;
  }
  if (code === 'ECONNREFUSED') return `ECONNREFUSED: nothing accepts connections at ${origin}; check trackDomain and that the endpoint is up`;
  if (code !== undefined) return `${code}: ${message === '' ? 'request failed' : message} (${origin})`;
  return `${message === '' ? 'request failed' : message} (${origin})`;
}

/** UTF-8 byte length without allocating for the common all-ASCII line. @internal */
export function utf8Length(text: string): number {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text.length;
  return new TextEncoder().encode(text).length;
}

/** Strips the `wt?` prefix a wire line carries. @internal */
export function lineQuery(line: string): string {
  if (line.startsWith('wt?')) return line.slice(3);
  if (line.startsWith('?')) return line.slice(1);
  return line;
}
