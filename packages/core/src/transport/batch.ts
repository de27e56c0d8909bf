import type { BatchOptions, OutgoingHit, SendOutcome, Transport, TransportContext, TransportFactory } from '../types.js';
import { BatchEngine } from './batch-engine.js';
import type { HttpClientFactory } from './http.js';
import { resolveBatchOptions } from './batch-options.js';
import { createStatsRecorder } from './stats.js';

/** Options of {@link createBatchTransport}. */
export interface BatchTransportOptions extends BatchOptions {
  /** Per-request timeout of one POST in ms. @default 10000 */
  timeout?: number;
  /**
   * Where hits go when the queue is full, and what is still unsent when `close()` times
   * out (typically a spool from `@mapp-s2s/core/node`). Without it, the oldest queued hit
   * is dropped (`queue-full`) and leftovers at close are dropped (`closed`). A factory
   * receives the same context. The batch transport owns it: `close()` closes it too.
   */
  overflow?: Transport | TransportFactory;
}

/** Every queued hit gets the same settled answer: nothing to allocate per hit. */
const QUEUED: Promise<SendOutcome> = Promise.resolve(Object.freeze({ ok: true, status: 'queued' }) as SendOutcome);

/** What the Node entry adds to {@link createBatchTransport}. @internal */
export interface BatchTransportInternals {
  /** The HTTP client (Node: `node:http`); default `fetch`. */
  httpClient?: HttpClientFactory;
}

/**
 * The `batch` transport: hits are queued in memory and POSTed to
 * `<origin>/<trackId>/batch`, one `\n`-separated line per hit. `send()` resolves with
 * `queued` at once.
 *
 * - A batch leaves at `maxBatchSize` lines, at `maxBatchBytes`, or `flushInterval` ms after
 *   the first waiting hit. Caps: 10,000 lines and 20 MiB per POST.
 * - Network errors, timeouts, 5xx, 408 and 429 are retried with exponential backoff and
 *   full jitter, honouring `Retry-After` (seconds or HTTP date), up to `maxAttempts`
 *   attempts and `maxRetryAge`. Other 4xx and every 3xx drop that batch (`rejected`).
 * - Per-visitor order: hits are hashed by `key` into `concurrency` FIFO lanes with one
 *   batch outstanding each, so hits of one visitor are never reordered, even across retries.
 * - `maxQueueSize` is enforced: when full, hits go to `overflow`, else the oldest is dropped.
 * - Timers are unref'd, and no signal handlers are installed: call `close()` yourself.
 *
 * Web-standard (fetch and timers only).
 */
export function createBatchTransport(options: BatchTransportOptions = {}, internal: BatchTransportInternals = {}): TransportFactory {
  const resolved = resolveBatchOptions(options);
  return function batchTransport(context: TransportContext): Transport {
    const overflow = typeof options.overflow === 'function' ? options.overflow(context) : options.overflow;
    const stats = createStatsRecorder();
    const client = internal.httpClient?.(context.fetch);
    const engine = new BatchEngine(context, resolved, stats, client === undefined ? {} : { request: client.request });
    let closed = false;

    function refuse(): Promise<SendOutcome> {
      stats.drop('closed');
      context.emit({ type: 'dropped', lines: 1, reason: 'closed', detail: 'transport is closed' });
      return Promise.resolve({ ok: false, status: 'dropped', reason: 'closed', detail: 'transport is closed' });
    }

    return {
      name: 'batch',
      send(hit: OutgoingHit): Promise<SendOutcome> {
        if (closed || engine.isClosed) return refuse();
        if (!engine.hasRoom() && overflow) return overflow.send(hit);
        engine.push(hit);
        return QUEUED;
      },
      async flush() {
        await engine.flush();
        await overflow?.flush();
      },
      async close({ timeout = 5000 } = {}) {
        if (closed) return;
        closed = true;
        const leftovers = await engine.drain(timeout);
        if (leftovers.length > 0) {
          if (overflow) {
            // In-flight requests were aborted: Mapp may have stored some of them, so these
            // can become duplicates. That is the price of never losing them.
            for (const entry of leftovers) await overflow.send(entry.hit);
          } else {
            stats.drop('closed', leftovers.length);
            context.emit({ type: 'dropped', lines: leftovers.length, reason: 'closed', detail: `close() timed out after ${timeout} ms` });
          }
        }
        await overflow?.close({ timeout });
        client?.close();
      },
      stats() {
        const own = stats.snapshot({ queueDepth: engine.depth, inFlight: engine.inFlight });
        const spooled = overflow?.stats?.().spooled ?? 0;
        return { ...own, spooled: (own.spooled ?? 0) + spooled };
      },
    };
  };
}
