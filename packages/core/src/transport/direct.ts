import type { OutgoingHit, SendOutcome, Transport, TransportContext, TransportFactory } from '../types.js';
import type { BatchTransportInternals } from './batch.js';
import { travelsAlone } from '../encode.js';
import { encodeLines } from './encode-lines.js';
import { ABORTED_BY_CLOSE, lineQuery, requestMapp, type MappRequestInit } from './http.js';
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

/** Requests one transport keeps in flight; hits beyond wait for the next free one. */
export const DIRECT_MAX_IN_FLIGHT = 16;
/** Hits that may wait for a free request at most; beyond, `queue-full` drops (counted, warned). */
export const DIRECT_MAX_WAITING = 50_000;
/** What one POST of waiting hits carries at most (the batch transport's backlog limits). */
const MAX_GROUP_LINES = 10_000;
const MAX_GROUP_CHARS = 4 * 1024 * 1024;

interface Waiting {
  readonly line: string;
  readonly resolve: (outcome: SendOutcome) => void;
}

/**
 * The `direct` transport: one `GET <origin>/<trackId>/wt?…` per hit, as soon as it is
 * tracked, over the runtime's keep-alive connections. `send()` resolves once Mapp answered:
 * `sent` on 2xx, `dropped` (`rejected`) on 3xx/4xx, `failed` on 5xx, network errors and
 * timeouts. There are no retries: use `batch` when hits must survive an outage. A `failed`
 * hit is counted in `stats().dropped['retries-exhausted']` (its one attempt is used up),
 * emitted as a `dropped` event and warned about (rate-limited).
 *
 * At most {@link DIRECT_MAX_IN_FLIGHT} requests are in flight. When a burst outruns them,
 * the hits that wait are not left to time out one by one: as soon as a request is free they
 * go together in one `POST <origin>/<trackId>/batch` (the batch transport's endpoint and
 * format), so a busy server delivers every hit with fewer requests instead of dropping them.
 * Lines over 7 KB (a pass-through pixel hit) always travel alone as a GET.
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
    const hitUrl = `${context.origin}/${context.trackId}/wt?`;
    const batchUrl = `${context.origin}/${context.trackId}/batch`;
    const waiting: Array<Waiting | undefined> = [];
    let head = 0;
    let active = 0;
    /** Hits in the requests in flight (a POST carries several). */
    let activeLines = 0;
    let closed = false;
    let cutting = false;

    async function request(url: string, init: MappRequestInit) {
      const abort = new AbortController();
      aborts.add(abort);
      try {
        return client ? await client.request(url, init, timeout, abort.signal) : await requestMapp(context.fetch, url, init, timeout, abort.signal);
      } finally {
        aborts.delete(abort);
      }
    }

    /** Sends `lines` (one GET, or one POST of several) and says how each hit fared. */
    async function deliver(lines: readonly string[]): Promise<SendOutcome> {
      const count = lines.length;
      const result = count === 1 ? await request(hitUrl + lineQuery(lines[0]!), { method: 'GET' }) : await request(batchUrl, { method: 'POST', body: encodeLines(count, (i) => lines[i]!) });
      if (result.kind === 'ok') {
        stats.sent += count;
        stats.latency(result.latencyMs);
        context.emit({ type: 'sent', lines: count, status: result.status, latencyMs: result.latencyMs });
        return { ok: true, status: 'sent' };
      }
      if (result.kind === 'reject') {
        stats.drop('rejected', count);
        context.emit({ type: 'dropped', lines: count, reason: 'rejected', detail: result.reason });
        return { ok: false, status: 'dropped', reason: 'rejected', detail: result.reason };
      }
      if (result.reason === ABORTED_BY_CLOSE) return closedOutcome(count, 'request aborted by close()');
      // Its one attempt is used up: the hit is lost. Counted, emitted and warned (rate-limited).
      const detail = `${result.reason} (the direct transport does not retry; use 'batch' to ride out outages)`;
      stats.drop('retries-exhausted', count);
      context.emit({ type: 'dropped', lines: count, reason: 'retries-exhausted', detail });
      return { ok: false, status: 'failed', error: failureError(result.reason, result.error) };
    }

    function closedOutcome(count: number, detail: string): SendOutcome {
      stats.drop('closed', count);
      context.emit({ type: 'dropped', lines: count, reason: 'closed', detail });
      return { ok: false, status: 'dropped', reason: 'closed', detail };
    }

    function start(lines: readonly string[], settle: (outcome: SendOutcome) => void): void {
      active += 1;
      activeLines += lines.length;
      const done = (outcome: SendOutcome): void => {
        active -= 1;
        activeLines -= lines.length;
        settle(outcome);
        pump();
      };
      deliver(lines).then(done, (error: unknown) => done({ ok: false, status: 'failed', error: error instanceof Error ? error : new Error(String(error)) }));
    }

    /** Starts requests for waiting hits while requests are free: several at once go in one POST. */
    function pump(): void {
      while (active < DIRECT_MAX_IN_FLIGHT && head < waiting.length) {
        if (cutting) {
          // close() timed out: what never started is reported, not sent.
          const rest = waiting.length - head;
          const outcome = closedOutcome(rest, 'close() timed out before it was sent');
          for (let i = head; i < waiting.length; i++) waiting[i]!.resolve(outcome);
          waiting.length = 0;
          head = 0;
          return;
        }
        const group: Waiting[] = [];
        let chars = 0;
        while (head < waiting.length && group.length < MAX_GROUP_LINES) {
          const next = waiting[head]!;
          if (travelsAlone(next.line)) {
            if (group.length > 0) break; // it goes alone, next time
            group.push(next);
            waiting[head++] = undefined;
            break;
          }
          if (group.length > 0 && chars + next.line.length + 1 > MAX_GROUP_CHARS) break;
          group.push(next);
          chars += next.line.length + 1;
          waiting[head++] = undefined;
        }
        if (head === waiting.length) {
          waiting.length = 0;
          head = 0;
        }
        start(
          group.map((entry) => entry.line),
          (outcome) => {
            for (const entry of group) entry.resolve(outcome);
          },
        );
      }
    }

    function track(pending: Promise<SendOutcome>): Promise<SendOutcome> {
      inFlight.add(pending);
      void pending.finally(() => inFlight.delete(pending));
      return pending;
    }

    return {
      name: 'direct',
      send(hit) {
        if (closed) {
          stats.drop('closed');
          return Promise.resolve({ ok: false, status: 'dropped', reason: 'closed', detail: 'transport is closed' });
        }
        const waitingNow = waiting.length - head;
        if (active >= DIRECT_MAX_IN_FLIGHT && waitingNow >= DIRECT_MAX_WAITING) {
          const detail = `${waitingNow} hits already wait for a free request (the direct transport sends at most ${DIRECT_MAX_IN_FLIGHT} at once); use 'batch' for this load`;
          stats.drop('queue-full');
          context.emit({ type: 'dropped', lines: 1, reason: 'queue-full', detail });
          return Promise.resolve({ ok: false, status: 'dropped', reason: 'queue-full', detail });
        }
        stats.enqueued += 1;
        if (active < DIRECT_MAX_IN_FLIGHT && waitingNow === 0) {
          return track(new Promise<SendOutcome>((resolve) => start([hit.line], resolve)));
        }
        return track(
          new Promise<SendOutcome>((resolve) => {
            waiting.push({ line: hit.line, resolve });
            pump();
          }),
        );
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
        // Past the deadline the remaining requests are cut and waiting hits never start; all count as `closed`.
        cutting = true;
        pump();
        for (const abort of aborts) abort.abort();
        await Promise.all([...inFlight]);
        client?.close();
      },
      stats() {
        return stats.snapshot({ queueDepth: waiting.length - head, inFlight: activeLines });
      },
    };
  };
}
