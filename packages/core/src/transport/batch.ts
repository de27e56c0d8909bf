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
   * out (typically a spool from `@mapp-s2s/core/node`). Without it, a hit that finds the
   * queue full is dropped (`queue-full`) and leftovers at close are dropped (`closed`),
   * each counted, emitted and warned about. A factory receives the same context. The batch
   * transport owns it: `close()` closes it too.
   */
  overflow?: Transport | TransportFactory;
}

/** Every queued hit gets the same settled answer: nothing to allocate per hit. */
const QUEUED: Promise<SendOutcome> = Promise.resolve(Object.freeze({ ok: true, status: 'queued' }) as SendOutcome);

const FULL_DETAIL = 'the memory queue is full (batch.maxQueueSize / batch.maxQueueBytes); set spool.dir to spill to disk';
/** The same frozen answer for every hit refused by a full queue: dropping stays cheap under overload. */
const QUEUE_FULL: Promise<SendOutcome> = Promise.resolve(Object.freeze({ ok: false, status: 'dropped', reason: 'queue-full', detail: FULL_DETAIL }) as SendOutcome);
const CLOSED: Promise<SendOutcome> = Promise.resolve(Object.freeze({ ok: false, status: 'dropped', reason: 'closed', detail: 'transport is closed' }) as SendOutcome);

/** What the Node entry adds to {@link createBatchTransport}. @internal */
export interface BatchTransportInternals {
  /** The HTTP client (Node: undici pools); default `fetch`. */
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
 * - A backlog larger than `maxBatchSize` leaves in larger batches (up to 10,000 lines and
 *   `maxBatchBytes`); a line over 7 KB is sent on its own as a GET (docs/protocol.md §4).
 * - `maxQueueSize`/`maxQueueBytes` are enforced: when full, a new hit goes to `overflow`,
 *   else it is dropped (`queue-full`); queued hits are never evicted.
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

    function refuse(reason: 'closed' | 'queue-full'): Promise<SendOutcome> {
      stats.drop(reason);
      context.emit({ type: 'dropped', lines: 1, reason, detail: reason === 'closed' ? 'transport is closed' : FULL_DETAIL });
      return reason === 'closed' ? CLOSED : QUEUE_FULL;
    }

    return {
      name: 'batch',
      send(hit: OutgoingHit): Promise<SendOutcome> {
        if (closed || engine.isClosed) return refuse('closed');
        if (engine.push(hit)) return QUEUED;
        return overflow ? overflow.send(hit) : refuse('queue-full');
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
            context.emit({ type: 'dropped', lines: leftovers.length, reason: 'closed', detail: `close() timed out after ${timeout} ms with these hits unsent; set spool.dir to keep such hits on disk` });
          }
        }
        await overflow?.close({ timeout });
        client?.close();
      },
      stats() {
        const own = stats.snapshot({ queueDepth: engine.depth, queueBytes: engine.depthBytes, inFlight: engine.inFlight });
        const spill = overflow?.stats?.();
        const merged = { ...own, spooled: (own.spooled ?? 0) + (spill?.spooled ?? 0) };
        if (spill !== undefined) {
          // Hits the spill could not take (spool-full, closed) count as this transport's drops.
          for (const [reason, count] of Object.entries(spill.dropped ?? {})) merged.dropped = { ...merged.dropped, [reason]: (merged.dropped?.[reason as keyof typeof merged.dropped] ?? 0) + (count ?? 0) };
          if (spill.spoolBytes !== undefined) merged.spoolBytes = spill.spoolBytes;
        }
        return merged;
      },
    };
  };
}
