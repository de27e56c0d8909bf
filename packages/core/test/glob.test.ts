import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { compileGlob, matchGlob, type GlobMeter } from '../src/glob.js';
import { compilePatterns } from '../src/patterns.js';
import { compileBlacklist } from '../src/pixel/dropped-requests.js';

/**
 * Reference matcher: the textbook dynamic programme over (pattern position, text position),
 * written for clarity, not speed. `open` adds an implicit trailing `*` (prefix patterns).
 */
function reference(pattern: string, text: string, open: boolean): boolean {
  const full = open ? `${pattern}*` : pattern;
  // matches[i][j]: full.slice(i) matches text.slice(j)
  const matches: boolean[][] = Array.from({ length: full.length + 1 }, () => new Array<boolean>(text.length + 1).fill(false));
  matches[full.length]![text.length] = true;
  for (let i = full.length - 1; i >= 0; i--) {
    for (let j = text.length; j >= 0; j--) {
      matches[i]![j] =
        full[i] === '*'
          ? matches[i + 1]![j]! || (j < text.length && matches[i]![j + 1]!)
          : j < text.length && full[i] === text[j] && matches[i + 1]![j + 1]!;
    }
  }
  return matches[0]![0]!;
}

/** The regular expressions the two callers built before (dotAll, so `*` crosses line breaks like the matcher). */
function oldRegex(pattern: string, open: boolean): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(open ? `^${source}` : `^${source}$`, 's');
}

/** Small alphabets make stars, slashes and near misses common. */
const patternArb = fc.string({ unit: fc.constantFrom('*', '/', 'a', 'b', '.'), maxLength: 10 });
const textArb = fc.string({ unit: fc.constantFrom('/', 'a', 'b', '.', '*', '\n'), maxLength: 16 });

describe('glob matching', () => {
  it.each([
    ['/shop/*/1', '/shop/secret/1', false, true],
    ['/shop/*/1', '/shop/secret/12', false, true],
    ['/shop/*/1', '/shop/secret/2', false, false],
    ['/shop/*/1', '/shop/secret/12', true, false],
    ['*', '', true, true],
    ['', '', true, true],
    ['', 'a', true, false],
    ['', 'a', false, true],
    ['a*', 'a', true, true],
    ['*a', 'ba', true, true],
    ['*a', 'ab', true, false],
    ['a**b', 'ab', true, true],
    ['a*b*c', 'aXbYbZc', true, true],
    ['a*b*c', 'aXcYb', true, false],
    ['checkout*confirm', 'checkout/step/confirm', true, true],
    ['a.b', 'aXb', true, false],
    ['*', 'line\nbreak', true, true],
  ])('%j against %j (anchored end: %s) → %s', (pattern, text, anchorEnd, expected) => {
    expect(matchGlob(pattern, text, { anchorEnd })).toBe(expected);
    expect(reference(pattern, text, !anchorEnd)).toBe(expected);
  });

  it('agrees with a reference matcher on random patterns and texts (prefix and anchored)', () => {
    fc.assert(
      fc.property(patternArb, textArb, fc.boolean(), (pattern, text, anchorEnd) => {
        const expected = reference(pattern, text, !anchorEnd);
        expect(matchGlob(pattern, text, { anchorEnd })).toBe(expected);
        expect(compileGlob(pattern, { anchorEnd })(text)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the regular expressions it replaces on random input', () => {
    fc.assert(
      fc.property(patternArb, textArb, fc.boolean(), (pattern, text, anchorEnd) => {
        expect(matchGlob(pattern, text, { anchorEnd })).toBe(oldRegex(pattern, !anchorEnd).test(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('never needs more than (text + 1) × (pattern + 1) steps', () => {
    fc.assert(
      fc.property(patternArb, fc.string({ unit: fc.constantFrom('/', 'a', 'b'), maxLength: 200 }), fc.boolean(), (pattern, text, anchorEnd) => {
        const meter: GlobMeter = { steps: 0 };
        matchGlob(pattern, text, { anchorEnd }, meter);
        expect(meter.steps).toBeLessThanOrEqual((text.length + 1) * (pattern.length + 1) + pattern.length);
      }),
      { numRuns: 500 },
    );
  });

  it('decides /*/*/*/admin against a 16 KB path of slashes in steps linear in its length', () => {
    const path = '/'.repeat(16 * 1024);
    const glob = compileGlob('/*/*/*/admin', { anchorEnd: false });
    const meter: GlobMeter = { steps: 0 };
    expect(glob(path, meter)).toBe(false);
    // About two steps per character (match the `/`, miss the `a`, move the star on).
    expect(meter.steps).toBeLessThanOrEqual(3 * path.length);
    // Doubling the path doubles the work (plus a constant), it does not square or explode it.
    const longer: GlobMeter = { steps: 0 };
    glob(path + path, longer);
    expect(longer.steps).toBeLessThanOrEqual(2 * meter.steps + 16);
  });

  it('decides a blacklist wildcard against a 16 KB page name in linear steps', () => {
    const name = 'a'.repeat(16 * 1024);
    const meter: GlobMeter = { steps: 0 };
    expect(compileGlob('*a*a*a*b', { anchorEnd: true })(name, meter)).toBe(false);
    expect(meter.steps).toBeLessThanOrEqual(3 * name.length);
  });
});

describe('the glob matcher in its two callers', () => {
  it('include/exclude: prefixes with wildcards, on the path or on the full URL', () => {
    const matches = compilePatterns(['/shop/*/1', 'https://*.example.com/admin', '/exact', /\/re$/]);
    expect(matches('/shop/secret/1?x=1', 'https://a.com/shop/secret/1?x=1')).toBe(true);
    expect(matches('/admin/users', 'https://www.example.com/admin/users')).toBe(true);
    expect(matches('/admin/users', 'https://www.example.org/admin/users')).toBe(false);
    expect(matches('/exact/more', 'https://a.com/exact/more')).toBe(true);
    expect(matches('/x/re', 'https://a.com/x/re')).toBe(true);
    expect(matches('/other', 'https://a.com/other')).toBe(false);
  });

  it('include/exclude: an attacker-shaped path is no longer a backtracking trap', () => {
    const matches = compilePatterns(['/*/*/*/admin']);
    const path = '/'.repeat(16 * 1024);
    expect(matches(path, `https://a.com${path}`)).toBe(false);
    expect(matches('/a/b/c/admin', 'https://a.com/a/b/c/admin')).toBe(true);
  });

  it('blacklist: wildcards anchored at both ends, exact names, RegExps as given', () => {
    const matches = compileBlacklist(['shop*confirm', 'home', /^de\//]);
    expect(matches('shop/checkout/confirm')).toBe(true);
    expect(matches('shop/checkout/confirm/2')).toBe(false);
    expect(matches('home')).toBe(true);
    expect(matches('home/2')).toBe(false);
    expect(matches('de/start')).toBe(true);
    expect(matches('*'.repeat(3000))).toBe(false);
  });
});
