import type { OutgoingHit, SendOutcome, Transport, TransportContext, TransportFactory } from '../types.js';

/**
 * A transport that records hits in memory, for your unit tests. It is itself a
 * `TransportFactory`: pass it as `transport` and read `hits`/`lines` afterwards.
 */
export interface MemoryTransport extends TransportFactory {
  /** Every hit sent so far, in order. */
  readonly hits: OutgoingHit[];
  /** The lines of `hits`. */
  readonly lines: string[];
  /** Resolves with the next hit sent after this call. */
  nextHit(): Promise<OutgoingHit>;
  /** Resolves once at least `count` hits were sent in total (race-free). */
  waitForHits(count: number): Promise<OutgoingHit[]>;
  /** Decides each send's outcome (default: `sent`), e.g. to simulate failures. */
  respond(handler: ((hit: OutgoingHit) => SendOutcome) | undefined): void;
  /** Forgets recorded hits. */
  clear(): void;
  /** Number of transports created from this factory that are closed. */
  readonly closed: number;
}

/** Creates a memory transport (see `MemoryTransport`). */
export function createMemoryTransport(): MemoryTransport {
  const hits: OutgoingHit[] = [];
  const lines: string[] = [];
  let waiters: Array<{ count: number; resolve: (hits: OutgoingHit[]) => void }> = [];
  let next: Array<(hit: OutgoingHit) => void> = [];
  let handler: ((hit: OutgoingHit) => SendOutcome) | undefined;
  let closed = 0;

  const record = (hit: OutgoingHit): void => {
    hits.push(hit);
    lines.push(hit.line);
    const nextWaiters = next;
    next = [];
    for (const resolve of nextWaiters) resolve(hit);
    waiters = waiters.filter((waiter) => {
      if (hits.length < waiter.count) return true;
      waiter.resolve(hits.slice());
      return false;
    });
  };

  const factory = ((_context: TransportContext): Transport => {
    let open = true;
    return {
      name: 'memory',
      send(hit) {
        if (!open) return Promise.resolve({ ok: false, status: 'dropped', reason: 'closed' });
        record(hit);
        return Promise.resolve(handler === undefined ? { ok: true, status: 'sent' } : handler(hit));
      },
      flush: () => Promise.resolve(),
      close() {
        if (open) closed++;
        open = false;
        return Promise.resolve();
      },
      stats: () => ({ sent: hits.length }),
    };
  }) as MemoryTransport;

  Object.defineProperties(factory, {
    hits: { value: hits, enumerable: true },
    lines: { value: lines, enumerable: true },
    closed: { get: () => closed, enumerable: true },
  });
  factory.nextHit = () => new Promise((resolve) => next.push(resolve));
  factory.waitForHits = (count) =>
    hits.length >= count ? Promise.resolve(hits.slice()) : new Promise((resolve) => waiters.push({ count, resolve }));
  factory.respond = (decide) => {
    handler = decide;
  };
  factory.clear = () => {
    hits.length = 0;
    lines.length = 0;
  };
  return factory;
}
