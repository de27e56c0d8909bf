import { describe, expect, it } from '@jest/globals';
import { compactConsumed } from '../src/transport/consumed-prefix.js';

describe('compactConsumed', () => {
  it('empties a fully consumed queue and restarts at 0', () => {
    const items = [1, 2, 3];
    expect(compactConsumed(items, 3)).toBe(0);
    expect(items).toEqual([]);
  });

  it('keeps a small consumed prefix in place', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(compactConsumed(items, 6)).toBe(6);
    expect(items).toHaveLength(10);
  });

  it('drops a prefix of more than minHead items once it is over half the array, keeping the rest in order', () => {
    const items = Array.from({ length: 3000 }, (_, i) => i);
    expect(compactConsumed(items, 2000)).toBe(0);
    expect(items).toHaveLength(1000);
    expect(items[0]).toBe(2000);
    expect(items[999]).toBe(2999);
  });

  it('keeps a long prefix while it is under half the array', () => {
    const items = Array.from({ length: 5000 }, (_, i) => i);
    expect(compactConsumed(items, 2000)).toBe(2000);
    expect(items).toHaveLength(5000);
  });
});
