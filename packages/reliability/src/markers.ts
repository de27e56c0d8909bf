import type { StoredHit } from '@mapp-s2s/collector';

/**
 * The `rid` query value of a hit's page URL (`pu`), the suite's unique marker per request.
 * The page URL of a pixel request carries the pixel's own `pu` inside its query, so the
 * marker may sit one or two encodings deeper: decode until it shows.
 */
export function markerOf(hit: Pick<StoredHit, 'params'>): string | undefined {
  let pu = hit.params['pu'];
  for (let depth = 0; pu !== undefined && depth < 3; depth++) {
    const found = /[?&]rid=([\w.-]+)/.exec(pu)?.[1];
    if (found !== undefined) return found;
    try {
      pu = decodeURIComponent(pu);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** How often each marker arrived. */
export function countMarkers(hits: ReadonlyArray<Pick<StoredHit, 'params'>>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const hit of hits) {
    const marker = markerOf(hit);
    if (marker !== undefined) counts.set(marker, (counts.get(marker) ?? 0) + 1);
  }
  return counts;
}

/** Lost (expected, never arrived) and duplicated (arrivals beyond the first) markers. */
export function deliveryReport(expected: Iterable<string>, counts: ReadonlyMap<string, number>): { lost: string[]; duplicated: number; unexpected: string[] } {
  const wanted = new Set(expected);
  const lost = [...wanted].filter((marker) => !counts.has(marker));
  let duplicated = 0;
  for (const count of counts.values()) duplicated += count - 1;
  const unexpected = [...counts.keys()].filter((marker) => !wanted.has(marker));
  return { lost, duplicated, unexpected };
}
