import http from 'node:http';
import https from 'node:https';
import { ABORTED_BY_CLOSE, asError, describeNetworkError, requestMapp, type HttpClient, type HttpResult, type MappRequestInit } from '../transport/http.js';
import { isRetryableStatus, parseRetryAfter } from '../transport/retry.js';

/** Node's own fetch, as it was when this module loaded: anything else is a user's or a test's double. */
const NATIVE_FETCH: typeof fetch | undefined = globalThis.fetch;

/** Whether `globalThis.fetch` was replaced (a test double, instrumentation): then it sees every request. @internal */
export function fetchReplaced(): boolean {
  return globalThis.fetch !== NATIVE_FETCH || NATIVE_FETCH === undefined;
}

const CONTENT_TYPE = 'text/plain; charset=utf-8';

/**
 * Sends with `node:http`/`node:https` and keep-alive agents: the same exchange as
 * `requestMapp` (hard timeout, abort on close, redirects not followed, body drained, the
 * same results and reasons), without the WHATWG fetch machinery (Request/Headers objects,
 * web streams, an `AbortController` per request), which costs several times the CPU per POST.
 * @internal
 */
export function nodeRequest(agents: NodeAgents, url: string, init: MappRequestInit, timeoutMs: number, abort?: AbortSignal): Promise<HttpResult> {
  return new Promise<HttpResult>((resolve) => {
    const started = Date.now();
    let settled = false;
    const finish = (result: HttpResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abort?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const fail = (reason: string, error: Error): void => finish({ kind: 'retry', reason, error });
    let request: http.ClientRequest;
    const onAbort = (): void => {
      const error = new Error(ABORTED_BY_CLOSE);
      fail(ABORTED_BY_CLOSE, error);
      request.destroy(error);
    };
    const timer = setTimeout(() => {
      const error = new Error(`timeout after ${timeoutMs} ms`);
      fail(error.message, error);
      request.destroy(error);
    }, timeoutMs);
    timer.unref();
    try {
      const secure = url.startsWith('https:');
      const headers: http.OutgoingHttpHeaders = {};
      if (init.body !== undefined) {
        headers['content-type'] = CONTENT_TYPE;
        headers['content-length'] = Buffer.byteLength(init.body);
      }
      request = (secure ? https : http).request(url, { method: init.method, headers, agent: secure ? agents.https : agents.http }, (response) => {
        const status = response.statusCode ?? 0;
        // Drain the body so the socket goes back to the pool; the status is what counts.
        response.on('error', () => {});
        // Cut off mid-body (reset): no 'end' will come.
        response.on('close', () => {
          if (!response.complete) fail('response closed before its end', new Error('response closed before its end'));
        });
        response.on('end', () => {
          // Answered before all of the body was written (a server that does not read it): destroy
          // the request, which cancels the writes still pending. The transport may reuse the body's
          // array for its next batch once this settles, and those bytes must never go out.
          if (!request.writableFinished) request.destroy();
          if (status >= 200 && status < 300) finish({ kind: 'ok', status, latencyMs: Date.now() - started });
          else if (isRetryableStatus(status)) {
            const header = response.headers['retry-after'];
            const retryAfterMs = parseRetryAfter(typeof header === 'string' ? header : undefined, Date.now());
            finish({ kind: 'retry', status, reason: `HTTP ${status}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
          } else finish({ kind: 'reject', status, reason: `HTTP ${status}` });
        });
        response.resume();
      });
      request.on('error', (cause) => {
        fail(describeNetworkError(cause, url), asError(cause));
      });
      if (abort?.aborted) {
        onAbort();
        return;
      }
      abort?.addEventListener('abort', onAbort, { once: true });
      request.end(init.body);
    } catch (cause) {
      const error = asError(cause);
      fail(error.message, error);
    }
  });
}

/** Keep-alive agents of one transport (idle sockets do not keep the process alive). @internal */
export interface NodeAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

/**
 * The requester of the Node entry's `batch` transport and write-ahead log: `node:http` while
 * `fetch` is Node's own (nothing to load; a POST carries hundreds of hits, so the client's
 * cost per request hardly counts per hit), and
 * `requestMapp(fetchFn)` as soon as someone replaced `globalThis.fetch` (a test double, an
 * instrumented fetch), so that replacement keeps seeing every request, as it would with
 * the web transport. Pass `fetchFn` = the tracker's late-binding global fetch.
 * @internal
 */
export function createNodeRequester(fetchFn: typeof fetch): HttpClient {
  const agents: NodeAgents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };
  return {
    request(url, init, timeoutMs, abort) {
      if (fetchReplaced()) return requestMapp(fetchFn, url, init, timeoutMs, abort);
      return nodeRequest(agents, url, init, timeoutMs, abort);
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
