import type { HitData } from '../types.js';
import type { PageHitData } from './page-hit-data.js';

// Object-valued parts are merged key by key (and their numbered `parameters`/`categories`
// too), so `@TrackAs({ page: { type } })` and a later `trackPage(req, { page: { name } })`
// both survive. Arrays (products) and scalars are replaced: the last word wins.
const MERGED_PARTS = new Set(['page', 'session', 'campaign', 'customer', 'order', 'raw']);
const MERGED_NESTED = new Set(['parameters', 'categories', 'goals']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function mergeObjects(base: unknown, extra: Record<string, unknown>, nested: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = isPlainObject(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) continue;
    out[key] = nested.has(key) && isPlainObject(value) ? mergeObjects(out[key], value, new Set()) : value;
  }
  return out;
}

/**
 * Merges page data given by a handler into what the request already collected.
 * @internal
 */
export function mergeHitData(base: HitData, extra: PageHitData): HitData {
  const { pageName, ...rest } = extra;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    out[key] = MERGED_PARTS.has(key) && isPlainObject(value) ? mergeObjects(out[key], value, MERGED_NESTED) : value;
  }
  if (pageName !== undefined) out['page'] = { ...(out['page'] as object | undefined), name: pageName };
  return out as HitData;
}
