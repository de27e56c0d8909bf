import type { Dispatcher, Pool } from 'undici';
import { ABORTED_BY_CLOSE, asError, describeNetworkError, requestMapp, type HttpClient, type HttpResult, type MappRequestInit } from '../transport/http.js';
import { compactConsumed } from '../transport/consumed-prefix.js';
import { isRetryableStatus, parseRetryAfter } from '../transport/retry.js';
import { fetchReplaced } from './node-requester.js';

/**
 * undici is loaded on the first request, not with the module: loading it costs about 150 ms
 * of CPU, which a process that never sends a `direct` GET should not pay.
 */
let undici: Promise<typeof import('undici')> | undefined;
function loadUndici(): Promise<typeof import('undici')> {
  undici ??= import('undici');
  return undici;
}

const POST_HEADERS = { 'content-type': 'text/plain; charset=utf-8' } as const;

/**
 * Connections per track domain. Hits of one process rarely need more: the batch transport
 * has one POST per lane in flight, and `direct` GETs queue inside the pool beyond this.
 */
const CONNECTIONS = 16;

/** Keep-alive pools of one transport, one per origin (in practice: the track domain). @internal */
export interface NodePools {
  /** The origin's pool; only after `whenFree` started a request (undici is loaded by then). */
  get(origin: string): Pool;
  /**
   * Runs `start` when one of the origin's connections is free, in order. Requests wait here
   * rather than in undici's queue: one that timed out while waiting is then skipped without
   * touching a connection (aborting a request undici has queued costs its connection, and
   * under load that turns a backlog into a reconnect storm).
   */
  whenFree(origin: string, start: () => void): void;
  /** Says that a request started through `whenFree` is done. */
  done(origin: string): void;
  close(): void;
}

interface Lane {
  pool: Pool | undefined;
  active: number;
  readonly waiting: Array<() => void>;
  head: number;
}

/** @internal */
export function createPools(): NodePools {
  const lanes = new Map<string, Lane>();
  let closed = false;
  const lane = (origin: string): Lane => {
    let found = lanes.get(origin);
    if (found === undefined) {
      found = { pool: undefined, active: 0, waiting: [], head: 0 };
      lanes.set(origin, found);
    }
    return found;
  };
  return {
    get: (origin) => lane(origin).pool as Pool,
    whenFree(origin, start) {
      const target = lane(origin);
      if (target.active >= CONNECTIONS) {
        target.waiting.push(start);
        return;
      }
      target.active += 1;
      if (target.pool !== undefined) {
        start();
        return;
      }
      void loadUndici().then(
        ({ Pool: UndiciPool }) => {
          // No pipelining: proxies and CDNs in front of a track domain do not all handle it.
          if (target.pool === undefined && !closed) target.pool = new UndiciPool(origin, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 4000 });
          start();
        },
        () => start(),
      );
    },
    done(origin) {
      const target = lanes.get(origin);
      if (target === undefined) return;
      const next = target.waiting[target.head];
      if (next === undefined) {
        target.active -= 1;
        return;
      }
      target.waiting[target.head] = undefined as never;
      target.head = compactConsumed(target.waiting, target.head + 1);
      next();
    },
    close() {
      closed = true;
      for (const target of lanes.values()) void target.pool?.destroy().catch(() => undefined);
      lanes.clear();
    },
  };
}

/** Splits `https://host:port/path?query` into the pool's origin and the request path. */
function splitTarget(url: string): { origin: string; path: string } {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  return slash === -1 ? { origin: url, path: '/' } : { origin: url.slice(0, slash), path: url.slice(slash) };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * One request to Mapp over an undici keep-alive pool, with the same exchange and results as
 * `requestMapp` (hard timeout, abort on close, redirects not followed, body drained, the same
 * reasons). undici's `dispatch` costs about half the CPU of `node:http` per request and a
 * fraction of `fetch` (no Request/Headers objects, no web streams), which matters for
 * `direct`, where every page view is one GET (bench/analysis.md).
 * @internal
 */
export function undiciRequest(pools: NodePools, url: string, init: MappRequestInit, timeoutMs: number, abort?: AbortSignal): Promise<HttpResult> {
  return new Promise<HttpResult>((resolve) => {
    const started = Date.now();
    let settled = false;
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let retryAfter: string | undefined;
    const finish = (result: HttpResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abort?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const fail = (reason: string, error: Error): void => {
      finish({ kind: 'retry', reason, error });
      if (controller !== undefined && !controller.aborted) controller.abort(error);
    };
    const onAbort = (): void => fail(ABORTED_BY_CLOSE, new Error(ABORTED_BY_CLOSE));
    const timer = setTimeout(() => {
      const error = new Error(`timeout after ${timeoutMs} ms`);
      fail(error.message, error);
    }, timeoutMs);
    timer.unref();
    if (abort?.aborted) {
      onAbort();
      return;
    }
    abort?.addEventListener('abort', onAbort, { once: true });
    let origin: string;
    let path: string;
    try {
      ({ origin, path } = splitTarget(url));
    } catch (cause) {
      const error = asError(cause);
      fail(describeNetworkError(error, url), error);
      return;
    }
    pools.whenFree(origin, () => {
      // Timed out or closed while waiting for a connection: never sent, the connection stays free.
      if (settled) {
        pools.done(origin);
        return;
      }
      dispatch(origin, path);
    });

    function dispatch(origin: string, path: string): void {
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        pools.done(origin);
      };
      const options: Dispatcher.DispatchOptions = { origin, path, method: init.method, headersTimeout: timeoutMs, bodyTimeout: timeoutMs };
      if (init.body !== undefined) {
        options.body = init.body;
        options.headers = POST_HEADERS;
      }
      try {
        const pool = pools.get(origin);
        // undici failed to load, or the transport closed meanwhile: the request cannot go out.
        if (pool === undefined) throw new Error(settled ? ABORTED_BY_CLOSE : 'the HTTP client (undici) is not available');
        pool.dispatch(options, {
          onRequestStart(requestController) {
            controller = requestController;
            if (settled) requestController.abort(new Error(ABORTED_BY_CLOSE));
          },
          onResponseStart(_controller, statusCode, headers) {
            status = statusCode;
            retryAfter = headerText(headers['retry-after']);
          },
          // The body is read and thrown away: the status is what counts, and the socket goes back to the pool.
          onResponseData() {},
          onResponseEnd() {
            release();
            if (status >= 200 && status < 300) finish({ kind: 'ok', status, latencyMs: Date.now() - started });
            else if (isRetryableStatus(status)) {
              const retryAfterMs = parseRetryAfter(retryAfter, Date.now());
              finish({ kind: 'retry', status, reason: `HTTP ${status}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
            } else finish({ kind: 'reject', status, reason: `HTTP ${status}` });
          },
          onResponseError(_controller, cause) {
            release();
            if (settled) return;
            const error = asError(cause);
            finish({ kind: 'retry', reason: describeNetworkError(errorWithCause(error), url), error });
          },
        });
      } catch (cause) {
        release();
        const error = asError(cause);
        fail(describeNetworkError(error, url), error);
      }
    }
  });
}

/**
 * undici reports socket errors as its own classes (`SocketError`, `ConnectTimeoutError`) or
 * passes the system error; `describeNetworkError` reads a code from the error or its cause.
 */
function errorWithCause(error: Error): Error {
  const code = (error as { code?: string }).code;
  if (code === 'UND_ERR_SOCKET' && (error as { cause?: unknown }).cause === undefined) {
    return Object.assign(new Error(error.message), { code: 'ECONNRESET' });
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' });
  return error;
}

/**
 * The requester of the Node entry's `direct` transport, where every page view is one GET:
 * undici keep-alive pools while `fetch` is Node's own, and `requestMapp(fetchFn)` as soon as
 * someone replaced `globalThis.fetch` (a test double, an instrumented fetch), so that
 * replacement keeps seeing every request. (`batch` POSTs hundreds of hits at once: for it
 * `node:http` costs no more per hit and nothing to load, see `createNodeRequester`.)
 * @internal
 */
export function createUndiciRequester(fetchFn: typeof fetch): HttpClient {
  const pools = createPools();
  return {
    request(url, init, timeoutMs, abort) {
      if (fetchReplaced()) return requestMapp(fetchFn, url, init, timeoutMs, abort);
      return undiciRequest(pools, url, init, timeoutMs, abort);
    },
    close() {
      pools.close();
    },
  };
}
