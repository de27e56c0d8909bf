import { describe, expect, it } from '@jest/globals';
import { codePointLength, cutText, encodeValue, MAX_LINE_BYTES } from '../src/encode.js';
import { buildLine, type LineInput } from '../src/hit.js';
import { parseLine } from './helpers.js';

const BASE: LineInput = { pageName: 'home', time: 1730181123123, referrer: '0', anonymous: false };
const EMOJI = '😀'; // one code point, two UTF-16 units

describe('255-character cut (PROTOCOL.md §4)', () => {
  it.each([
    ['ASCII', 'a'.repeat(300), 'a'.repeat(255)],
    ['exactly 255', 'b'.repeat(255), 'b'.repeat(255)],
    ['surrogate pairs are never split', EMOJI.repeat(300), EMOJI.repeat(255)],
    ['a pair straddling the limit', `${'a'.repeat(254)}${EMOJI}${EMOJI}`, `${'a'.repeat(254)}${EMOJI}`],
    ['multi-byte UTF-8 counts as one character', 'Ä'.repeat(256), 'Ä'.repeat(255)],
  ])('cuts %s', (_label, input, expected) => {
    expect(cutText(input)).toBe(expected);
    expect(codePointLength(cutText(input))).toBeLessThanOrEqual(255);
  });

  it('applies the cut to every text value, per item of a multi-value', () => {
    const result = buildLine({ ...BASE, data: { page: { parameters: { 1: 'x'.repeat(400) } }, products: [{ id: 'i'.repeat(200), variant: 'v'.repeat(300) }, { id: 'j' }] } });
    const { params } = parseLine(result.line);
    expect(params.get('cp1')).toBe('x'.repeat(255));
    expect(params.get('ba')).toBe(`${'i'.repeat(110)};j`); // product ids: 110
    expect(params.get('cb767')).toBe(`${'v'.repeat(255)};`);
  });

  it('cuts the page name at 255 characters', () => {
    expect(parseLine(buildLine({ ...BASE, pageName: 'n'.repeat(999) }).line).p[1]).toBe('n'.repeat(255));
  });

  it('replaces lone surrogates instead of throwing', () => {
    expect(encodeValue('a\ud800b\udc00')).toBe(encodeURIComponent('a\ufffdb\ufffd'));
  });
});

describe('7 KB line cap (PROTOCOL.md §4)', () => {
  it('shortens the page name first', () => {
    // 255 × "€" = 255 × 9 encoded bytes; with a long UA the line is over 7 KB.
    const input: LineInput = { ...BASE, pageName: '€'.repeat(255), userAgent: 'u'.repeat(5000) };
    const result = buildLine(input);
    expect(result.ok).toBe(true);
    expect(result.line.length).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(result.problems).toEqual(['page name shortened']);
    const { p, params } = parseLine(result.line);
    expect(p[1]?.length).toBeLessThan(255);
    expect('€'.repeat(255).startsWith(p[1] ?? 'x')).toBe(true);
    expect(params.get('X-WT-UA')).toBe('u'.repeat(5000));
  });

  it('then removes query strings of the referrer and the page URL, then client-hint details', () => {
    const query = `?q=${'x'.repeat(4000)}`; // pu and X-WT-RQ alone exceed 7 KB
    const result = buildLine({
      ...BASE,
      referrer: `https://ref.example/r${query}`,
      pageUrl: `https://shop.example.com/p${query}`,
      hints: [['X-WT-SEC-CH-UA-FULL-VERSION-LIST', 'v'.repeat(255)]],
    });
    expect(result.ok).toBe(true);
    expect(result.line.length).toBeLessThanOrEqual(MAX_LINE_BYTES);
    const { p, params } = parseLine(result.line);
    expect(p[7]).toBe('https://ref.example/r');
    expect(params.get('pu')).toBe('https://shop.example.com/p');
    expect(result.problems).toEqual(['referrer query removed', 'page URL query removed']);
  });

  it('drops the hit as too-large when shortening is not enough, never emitting a broken line', () => {
    const parameters: Record<number, string> = {};
    for (let i = 1; i <= 40; i++) parameters[i] = '€'.repeat(255);
    const result = buildLine({ ...BASE, data: { page: { parameters } } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe('too-large');
  });

  it('keeps a line just under the limit unchanged', () => {
    const result = buildLine({ ...BASE, userAgent: 'a'.repeat(MAX_LINE_BYTES - 200) });
    expect(result.ok).toBe(true);
    expect(result.problems).toEqual([]);
  });
});
