import { describe, expect, it } from '@jest/globals';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from '../src/transport/retry.js';
import { keyFromLine } from '../src/transport/line-key.js';

describe('retry policy', () => {
  it.each([
    [500, true],
    [503, true],
    [408, true],
    [429, true],
    [400, false],
    [404, false],
    [413, false],
    [301, false],
    [200, false],
  ])('status %i retryable: %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });

  it.each([
    ['120', 120_000],
    [' 3 ', 3_000],
    ['0', 0],
    ['Fri, 27 Nov 2026 00:00:10 GMT', 10_000],
    ['Fri, 27 Nov 2026 00:00:00 GMT', 0],
    ['Thu, 26 Nov 2026 23:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('Retry-After %p is %p ms', (value, expected) => {
    expect(parseRetryAfter(value, Date.parse('2026-11-27T00:00:00Z'))).toBe(expected);
  });

  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffDelay(1, 250, 30_000, () => 0.999)).toBe(249);
    expect(backoffDelay(4, 250, 30_000, () => 0.5)).toBe(1000);
    expect(backoffDelay(20, 250, 30_000, () => 0.999)).toBe(29_970);
    expect(backoffDelay(3, 250, 30_000, () => 0)).toBe(0);
  });

  it.each([
    ['wt?p=600,a&eid=2157840760747614879&cp1=x', '2157840760747614879'],
    ['wt?p=600,a&ceid=XYZ', 'ceid:XYZ'],
    ['wt?p=600,a&X-WT-IP=1.2.3.4&X-WT-UA=Mozilla', '1.2.3.4|Mozilla'],
    ['?p=600,a', '|'],
  ])('replayed line %s is ordered by %s', (line, key) => {
    expect(keyFromLine(line)).toBe(key);
  });
});
