import type { Collector, StoredHit } from '@mapp-s2s/collector';

/**
 * Resolves with the first stored hit matching `predicate`, waiting for new ones until the
 * deadline (an event subscription, not polling with sleeps).
 */
export function waitForHit(collector: Collector, predicate: (hit: StoredHit) => boolean, timeoutMs: number, what: string): Promise<StoredHit> {
  const existing = collector.hits().find(predicate);
  if (existing !== undefined) return Promise.resolve(existing);
  return new Promise((resolve, reject) => {
    let unsubscribe = (): void => undefined;
    const timer = setTimeout(() => {
      unsubscribe();
      const recent = collector.hits().slice(-5).map((hit) => hit.raw);
      reject(new Error(`No hit for ${what} within ${timeoutMs} ms. Last hits:\n${recent.join('\n') || '(none)'}`));
    }, timeoutMs);
    unsubscribe = collector.onHit((hit) => {
      if (!predicate(hit)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(hit);
    });
    // A hit stored between the first look and the subscription.
    const late = collector.hits().find(predicate);
    if (late !== undefined) {
      clearTimeout(timer);
      unsubscribe();
      resolve(late);
    }
  });
}

/** The highest hit id stored so far (0 when empty). */
export function lastHitId(collector: Collector): number {
  const hits = collector.hits();
  return hits.length === 0 ? 0 : Math.max(...hits.map((hit) => hit.id));
}

/** Hits stored after hit id `afterId`. */
export function hitsAfter(collector: Collector, afterId: number): StoredHit[] {
  return collector.hits().filter((hit) => hit.id > afterId);
}
