import { describe, expect, it } from '@jest/globals';
import { mergeHitData } from '../src/adapter/merge-hit-data.js';
import type { PageHitData } from '../src/adapter/page-hit-data.js';
import type { HitData } from '../src/types.js';

describe('mergeHitData', () => {
  it.each<[string, HitData, PageHitData, HitData]>([
    ['adds data to an empty hit', {}, { page: { name: 'home' } }, { page: { name: 'home' } }],
    ['merges page key by key', { page: { type: 'list' } }, { page: { name: 'shoes' } }, { page: { type: 'list', name: 'shoes' } }],
    [
      'merges numbered parameters key by key',
      { page: { parameters: { 1: 'a' } } },
      { page: { parameters: { 2: 'b' } } },
      { page: { parameters: { 1: 'a', 2: 'b' } } },
    ],
    ['lets pageName set page.name and keep the rest', { page: { type: 'list' } }, { pageName: 'sale' }, { page: { type: 'list', name: 'sale' } }],
    [
      'replaces products (a list) instead of merging them',
      { products: [{ id: 'a' }, { id: 'b' }] },
      { products: [{ id: 'c' }] },
      { products: [{ id: 'c' }] },
    ],
    ['ignores undefined values', { page: { name: 'kept' } }, { page: undefined }, { page: { name: 'kept' } }],
    ['merges order key by key', { order: { value: 9.5, id: 'A-1' } }, { order: { value: 9.5, currency: 'EUR' } }, { order: { value: 9.5, id: 'A-1', currency: 'EUR' } }],
  ])('%s', (_name, base, extra, expected) => {
    expect(mergeHitData(base, extra)).toEqual(expected);
  });

  it('never changes its inputs', () => {
    const base: HitData = { page: { name: 'a', parameters: { 1: 'x' } } };
    const snapshot = structuredClone(base);
    mergeHitData(base, { page: { parameters: { 2: 'y' } } });
    expect(base).toEqual(snapshot);
  });
});
