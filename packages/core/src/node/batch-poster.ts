import { travelsAlone } from '../encode.js';
import { MAX_BATCH_BYTES, MAX_BATCH_LINES } from '../transport/batch-options.js';
import { encodeLines } from '../transport/encode-lines.js';
import { lineQuery, requestMapp, type HttpClient, type HttpResult, type MappRequestInit } from '../transport/http.js';
import { backoffDelay } from '../transport/retry.js';
import { createNodeRequester } from './node-requester.js';

/**
 * What one POST (or the GET of one over-long line) came to:
 * - `ok`: Mapp accepted it (2xx);
 * - `retry`: worth another attempt (network error, timeout, 5xx, 408, 429), with the
 *   server's `Retry-After` in ms when it sent one;
 * - `reject`: final (any other 4xx, every 3xx: docs/protocol.md §1).
 */
export type BatchPostResult =
  | { kind: 'ok'; status: number; latencyMs: number }
  | { kind: 'retry'; status?: number; reason: string; retryAfterMs?: number }
  | { kind: 'reject'; status: number; reason: string };

/** Options of {@link createBatchPoster}. */
export interface BatchPosterOptions {
  /** e.g. `https://track.example.com` (no trailing slash); `resolveOptions()` gives it as `origin`. */
  readonly origin: string;
  /** One or more comma-separated 15-digit track ids. */
  readonly trackId: string;
  /** Per-request timeout in ms. @default 10000 */
  readonly timeout?: number;
  /** Sends through this fetch instead of `node:http` keep-alive agents (tests, instrumentation). */
  readonly fetch?: typeof fetch;
}

/**
 * One client to Mapp's batch endpoint, the same HTTP code the Node `batch` transport uses:
 * `post(lines)` sends `POST <origin>/<trackId>/batch` with the lines joined by `\n`, except a
 * single line over the 7 KB batch-line limit, which goes as its own
 * `GET <origin>/<trackId>/wt?…` (docs/protocol.md §4). Never rejects. The caller keeps to
 * {@link MAX_BATCH_LINES} lines and {@link MAX_BATCH_BYTES} bytes per post, sends an over-long
 * line on its own, and decides about retries ({@link retryDelay}).
 */
export interface BatchPoster {
  post(lines: readonly string[], abort?: AbortSignal): Promise<BatchPostResult>;
  /** Frees idle keep-alive connections. */
  close(): void;
}

/** Creates a {@link BatchPoster}: for shippers that deliver hits from an outbox (Redis Streams, a queue). */
export function createBatchPoster(options: BatchPosterOptions): BatchPoster {
  const timeout = options.timeout ?? 10_000;
  const batchUrl = `${options.origin}/${options.trackId}/batch`;
  const hitUrl = `${options.origin}/${options.trackId}/wt?`;
  const custom = options.fetch;
  const client: HttpClient | undefined = custom === undefined ? createNodeRequester((...args) => globalThis.fetch(...args)) : undefined;
  return {
    async post(lines, abort) {
      const single = lines.length === 1 && travelsAlone(lines[0] as string);
      const url = single ? `${hitUrl}${lineQuery(lines[0] as string)}` : batchUrl;
      const init: MappRequestInit = single ? { method: 'GET' } : { method: 'POST', body: encodeLines(lines.length, (i) => lines[i] as string) };
      const result: HttpResult = client ? await client.request(url, init, timeout, abort) : await requestMapp(custom as typeof fetch, url, init, timeout, abort);
      if (result.kind !== 'retry') return result;
      // No Error object leaves: callers log the reason, a stack per failed POST helps nobody.
      return result.retryAfterMs === undefined
        ? { kind: 'retry', ...(result.status === undefined ? {} : { status: result.status }), reason: result.reason }
        : { kind: 'retry', ...(result.status === undefined ? {} : { status: result.status }), reason: result.reason, retryAfterMs: result.retryAfterMs };
    },
    close() {
      client?.close();
    },
  };
}

/**
 * The delay before attempt `attempt + 1` under the batch transport's retry policy:
 * `Retry-After` when the server sent one, else exponential backoff with full jitter
 * (a uniform delay below `min(max, base * 2^(attempt-1))`).
 */
export function retryDelay(attempt: number, options: { base?: number; max?: number; retryAfterMs?: number | undefined } = {}): number {
  if (options.retryAfterMs !== undefined) return options.retryAfterMs;
  return backoffDelay(attempt, options.base ?? 250, options.max ?? 30_000);
}

export { MAX_BATCH_BYTES, MAX_BATCH_LINES };
