import type { OutgoingHit, SendOutcome, Transport, TransportContext, TransportFactory } from '../types.js';
import type { BatchTransportInternals } from './batch.js';
import { ABORTED_BY_CLOSE, lineQuery, requestMapp } from './http.js';
import { createStatsRecorder } from './stats.js';

const MAX_CACHED_ERRORS = 64;
const failureErrors = new Map<string, Error>();

/**
 * The `Error` of a failed send. During an outage every request fails the same way, so one
 * `Error` per distinct reason is shared instead of building a stack trace per lost hit.
 */
function failureError(reason: string, cause: Error | undefined): Error {
  let error = failureErrors.get(reason);
  if (error === undefined) {
    error = new Error(`mapp-s2s direct: hit not accepted (${reason})`, cause === undefined ? undefined : { cause });
    if (failureErrors.size >= MAX_CACHED_ERRORS) failureErrors.clear();
    failureErrors.set(reason, error);
  }
  return error;
}

/** Options of {@link createDirectTransport}. */
export interface DirectTransportOptions {
  /** Per-request timeout in ms; a slow Mapp never holds a hit longer. @default 2000 */
  timeout?: number;
}

/**
 * The `direct` transport: one `GET <origin>/<trackId>/wt?…` per hit, over the runtime's
 * keep-alive connection pool. `send()` resolves once Mapp answered: `sent` on 2xx,
 * `dropped` (`rejected`) on 3xx/4xx, `failed` on 5xx, network errors and timeouts.
 * There are no retries: use `batch` when hits must survive an outage. A `failed` hit
 * is counted in `stats().dropped['retries-exhausted']` (its one attempt is used up),
 * emitted as a `dropped` event and warned about (rate-limited).
 * Web-standard (fetch only), so it runs on the edge too.
 */
export function createDirectTransport(options: DirectTransportOptions = {}, internal: BatchTransportInternals = {}): TransportFactory {
  const timeout = options.timeout ?? 2000;
  return function directTransport(context: TransportContext): Transport {
    const stats = createStatsRecorder();
    const inFlight = new Set<Promise<SendOutcome>>();
    // One controller per request, aborted together by close(): a shared signal would get one
    // 'abort' listener per in-flight request (Node warns past 10).
    const aborts = new Set<AbortController>();
    const client = internal.httpClient?.(context.fetch);
    let closed = false;

    async function deliver(hit: OutgoingHit): Promise<SendOutcome> {
      const url = `${context.origin}/${context.trackId}/wt?${lineQuery(hit.line)}`;
      const abort = new AbortController();
      aborts.add(abort);
      let result: Awaited<ReturnType<typeof requestMapp>>;
      try {
        result = client
          ? await client.request(url, { method: 'GET' }, timeout, abort.signal)
          : await requestMapp(context.fetch, url, { method: 'GET' }, timeout, abort.signal);
      } finally {
        aborts.delete(abort);
      }
      if (result.kind === 'ok') {
        stats.sent += 1;
        stats.latency(result.latencyMs);
        context.emit({ type: 'sent', lines: 1, status: result.status, latencyMs: result.latencyMs });
        return { ok: true, status: 'sent' };
      }
      if (result.kind === 'reject') {
        stats.drop('rejected');
        context.emit({ type: 'dropped', lines: 1, reason: 'rejected', detail: result.reason });
        return { ok: false, status: 'dropped', reason: 'rejected', detail: result.reason };
      }
      if (result.reason === ABORTED_BY_CLOSE) {
        stats.drop('closed');
        context.emit({ type: 'dropped', lines: 1, reason: 'closed', detail: 'request aborted by close()' });
        return { ok: false, status: 'dropped', reason: 'closed', detail: 'request aborted by close()' };
      }
      // Its one attempt is used up: the hit is lost. Counted, emitted and warned (rate-limited).
      const detail = `${result.reason} (the direct transport does not retry; use 'batch' to ride out outages)`;
      stats.drop('retries-exhausted');
      context.emit({ type: 'dropped', lines: 1, reason: 'retries-exhausted', detail });
      return { ok: false, status: 'failed', error: failureError(result.reason, result.error) };
    }

    return {
      name: 'direct',
      send(hit) {
        if (closed) {
          stats.drop('closed');
          return Promise.resolve({ ok: false, status: 'dropped', reason: 'closed', detail: 'transport is closed' });
        }
        stats.enqueued += 1;
        const pending = deliver(hit);
        inFlight.add(pending);
        void pending.finally(() => inFlight.delete(pending));
        return pending;
      },
      async flush() {
        await Promise.all([...inFlight]);
      },
      async close({ timeout: closeTimeout = 5000 } = {}) {
        closed = true;
        if (inFlight.size === 0) {
          client?.close();
          return;
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const expired = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, closeTimeout);
          (timer as { unref?: () => void }).unref?.();
        });
        await Promise.race([Promise.all([...inFlight]).then(() => undefined), expired]);
        clearTimeout(timer);
        // Past the deadline the remaining requests are cut; their hits count as `closed`.
        for (const abort of aborts) abort.abort();
        await Promise.all([...inFlight]);
        client?.close();
      },
      stats() {
        return stats.snapshot({ queueDepth: 0, inFlight: inFlight.size });
      },
    };
  };
}
