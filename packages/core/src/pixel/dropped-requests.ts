import { compileGlob } from '../glob.js';
import type { PixelQuery } from './query-line.js';

/**
 * Which pixel hits the server drops because it tracks them itself (the Smart Pixel's
 * `sendViaServer.droppedRequests`): `0` none, `1` orders, `2` product views/adds/confirmations,
 * `3` page hits. Every level applies only to page names matching the blacklist.
 */
export type DroppedRequests = 0 | 1 | 2 | 3;

/** Pixel blacklist entry: an exact page name, a page name with `*` wildcards, or a RegExp. */
export type PageNamePattern = string | RegExp;

// The product statuses a server-side shop records itself (docs/protocol.md §9). Matched exactly,
// unlike the pixel's prefix regex, which would also drop `add-wl`.
const SERVER_PRODUCT_STATUSES = new Set(['view', 'add', 'conf']);

/**
 * Compiles blacklist entries once. Strings with `*` are wildcards anchored at both ends, with
 * every other character literal, matched in linear time by `glob.ts` (never a regular
 * expression, so no page name can make them slow); strings without `*` are exact names.
 * RegExps are used as given: their cost on long page names is the caller's responsibility.
 */
export function compileBlacklist(patterns: readonly PageNamePattern[]): (pageName: string) => boolean {
  const tests = patterns.map((pattern): ((name: string) => boolean) => {
    if (pattern instanceof RegExp) {
      // A global/sticky RegExp keeps state between `test` calls; a copy without those flags does not.
      const stateless = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
      return (name) => stateless.test(name);
    }
    if (!pattern.includes('*')) return (name) => name === pattern;
    const wildcard = compileGlob(pattern, { anchorEnd: true });
    return (name) => wildcard(name);
  });
  return (pageName) => tests.some((test) => test(pageName));
}

/** `true` when this pixel hit is one the server already tracks and must not be counted twice. */
export function isDroppedRequest(
  query: PixelQuery,
  level: DroppedRequests,
  matchesBlacklist: (pageName: string) => boolean,
): boolean {
  if (level === 0) return false;
  const kind =
    (level === 1 && query.hasOrder) ||
    (level === 2 && query.productStatus !== undefined && SERVER_PRODUCT_STATUSES.has(query.productStatus)) ||
    (level === 3 && query.isPage);
  return kind && matchesBlacklist(query.pageName);
}
