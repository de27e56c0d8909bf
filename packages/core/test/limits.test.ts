import { describe, expect, it } from '@jest/globals';
import { codePointLength, cutText, encodeValue, MAX_LINE_BYTES } from '../src/encode.js';
import { buildLine, PRODUCT_FOLLOW_UP_EVENT, type LineInput, type LineResult } from '../src/hit.js';
import type { ProductData } from '../src/types.js';
import { SENDER_VERSION } from '../src/version.js';
import { parseLine } from './helpers.js';

const BASE: LineInput = { pageName: 'home', time: 1730181123123, referrer: '0', anonymous: false };
const EMOJI = '😀'; // one code point, two UTF-16 units

describe('255-character cut (docs/protocol.md §4)', () => {
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

/** Every line of a result: the split ones, or the one line. */
function linesOf(result: LineResult): string[] {
  return result.ok && result.lines !== undefined ? result.lines : [result.line];
}

const EURO_255 = '€'.repeat(255); // 2,295 bytes encoded
const HINTS: LineInput['hints'] = [
  ['X-WT-SEC-CH-UA', '"Chromium";v="131", "Google Chrome";v="131"'],
  ['X-WT-SEC-CH-UA-FULL-VERSION-LIST', EURO_255],
];

/** `count` products with `extra` fields each; ids are long but within the 110-character limit. */
function products(count: number, extra: (i: number) => Partial<ProductData> = () => ({})): ProductData[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `SKU-${String(i + 1).padStart(3, '0')} ${'Long descriptive product name '.repeat(4)}`.slice(0, 110),
    cost: Math.round(1999 * (i + 1)) / 100,
    quantity: (i % 4) + 1,
    ...extra(i),
  }));
}

describe('7 KB line cap: the page name is never shortened (docs/protocol.md §4)', () => {
  it.each<[string, string, Partial<LineInput>]>([
    ['200 ASCII characters and a 6.5 KB user agent', 'p'.repeat(200), { userAgent: 'u'.repeat(6500) }],
    ['200 euro signs (1,800 bytes) and a long page URL', '€'.repeat(200), { pageUrl: `https://shop.example.com/${'x'.repeat(6000)}` }],
    ['200 euro signs and long client hints', '€'.repeat(200), { hints: HINTS, userAgent: 'u'.repeat(3000) }],
    ['200 characters on an order of 60 products', 'n'.repeat(200), { data: { order: { value: 1, id: 'o' }, products: products(60) } }],
    ['999 characters: cut at 255, as always', 'n'.repeat(999), { userAgent: 'u'.repeat(6500) }],
  ])('%s', (_label, pageName, extra) => {
    const result = buildLine({ ...BASE, pageName, ...extra });
    expect(result.ok).toBe(true);
    for (const line of linesOf(result)) {
      expect(line.length).toBeLessThanOrEqual(MAX_LINE_BYTES);
      expect(parseLine(line).p[1]).toBe(cutText(pageName));
    }
    expect(result.problems.join()).not.toMatch(/page name/);
  });
});

describe('7 KB line cap: optional data is left out, least important first (docs/protocol.md §4)', () => {
  const cp = (count: number): Record<number, string> => Object.fromEntries(Array.from({ length: count }, (_, i) => [i + 1, EURO_255]));

  it.each<[string, Partial<LineInput>, string[], (params: Map<string, string>, p: string[]) => void]>([
    [
      'X-WT-RQ first: it repeats pu',
      { pageUrl: `https://shop.example.com/p?${'q'.repeat(4000)}` },
      ['left out X-WT-RQ (it repeats pu)'],
      (params) => expect(params.get('pu')).toBe(`https://shop.example.com/p?${'q'.repeat(4000)}`),
    ],
    [
      'then the product categories (Mapp keeps the first ones)',
      { data: { products: products(3, () => ({ categories: { 1: EURO_255, 2: EURO_255 }, parameters: { 7: 'kept' } })) } },
      ['left out the product categories ca1, ca2 (Mapp keeps the categories a product was first tracked with)'],
      (params) => expect([params.has('ca1'), params.get('cb7'), params.get('qn')]).toEqual([false, 'kept;kept;kept', '1;2;3']),
    ],
    [
      'the client hint full version list before the other hints',
      { hints: HINTS, userAgent: 'u'.repeat(600), data: { page: { parameters: cp(2) } } },
      ['left out the client hint X-WT-SEC-CH-UA-FULL-VERSION-LIST'],
      (params) => expect([params.has('X-WT-SEC-CH-UA-FULL-VERSION-LIST'), params.has('X-WT-SEC-CH-UA'), params.get('cp2')]).toEqual([false, true, EURO_255]),
    ],
    [
      'the referrer query before the page URL query',
      { referrer: `https://www.google.de/search?q=${'x'.repeat(5500)}`, pageUrl: `https://shop.example.com/p?${'y'.repeat(2000)}` },
      ['left out X-WT-RQ (it repeats pu)', 'left out the referrer query'],
      (params, p) => expect([p[7], params.get('pu')]).toEqual(['https://www.google.de/search', `https://shop.example.com/p?${'y'.repeat(2000)}`]),
    ],
    [
      'custom parameters in their order: campaign and event parameters before page parameters',
      { userAgent: 'u'.repeat(300), data: { campaign: { parameters: cp(1) }, action: { name: 'e', parameters: cp(1) }, page: { parameters: cp(2) }, session: { parameters: { 1: 'kept' } } } },
      ['left out the campaign parameters cc1', 'left out the event parameters ck1'],
      (params) => expect([params.has('cc1'), params.has('ck1'), params.get('cp1'), params.get('cs1'), params.get('ct')]).toEqual([false, false, EURO_255, 'kept', 'e']),
    ],
    [
      'page parameters before content groups, user and session data, order details',
      { userAgent: 'u'.repeat(400), data: { page: { parameters: cp(3), categories: { 1: 'kept' } }, customer: { id: 'C1', categories: { 1: 'kept' } }, order: { value: 9.5, id: 'O1', tax: 1.5 } } },
      ['left out the page parameters cp1, cp2, cp3'],
      (params) => expect([params.get('cg1'), params.get('cd'), params.get('uc1'), params.get('ov'), params.get('oi'), params.get('cb759')]).toEqual(['kept', 'C1', 'kept', '9.5', 'O1', '1.5']),
    ],
  ])('%s', (_label, extra, problems, check) => {
    const result = buildLine({ ...BASE, ...extra });
    expect(result.ok).toBe(true);
    expect(result.problems).toEqual(problems);
    expect(result.line.length).toBeLessThanOrEqual(MAX_LINE_BYTES);
    const { params, p } = parseLine(result.line);
    check(params, p);
    expect(p[1]).toBe('home');
  });

  it('drops the hit as too-large only when its required values alone exceed 7 KB, saying so', () => {
    // Page name, ceid, customer id and event name: required, each 255 euro signs (2,295 bytes).
    const result = buildLine({ ...BASE, pageName: EURO_255, ceid: EURO_255, data: { action: { name: EURO_255 }, customer: { id: EURO_255 }, page: { parameters: cp(2) } } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('too-large');
    expect(result.problems).toContain('left out the page parameters cp1, cp2');
    expect(result.problems.at(-1)).toMatch(/^the line is \d+ bytes with every optional value left out, over the 7168-byte limit$/);
  });

  it('keeps a line just under the limit unchanged', () => {
    const result = buildLine({ ...BASE, userAgent: 'a'.repeat(MAX_LINE_BYTES - 200) });
    expect(result.ok).toBe(true);
    expect(result.problems).toEqual([]);
  });
});

describe('7 KB line cap: an order never loses its revenue (docs/protocol.md §4)', () => {
  const ORDER: LineInput = {
    ...BASE,
    pageName: 'shop.example.com/checkout/confirmation',
    referrer: 'https://shop.example.com/checkout',
    eid: '2138210064900146323',
    isNewVisitor: true,
    ip: '203.0.113.9',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
    pageUrl: 'https://shop.example.com/checkout/confirmation',
    hints: HINTS,
    data: {
      order: { value: 4321.09, id: 'ORD-60', currency: 'EUR', tax: 690 },
      campaign: { mediaCode: 'wt_mc=newsletter' },
      products: products(60, (i) => ({ categories: { 1: 'Shoes', 2: 'Running shoes for long distances', 3: `Brand ${i}`, 4: 'Men', 5: 'Sale' }, parameters: { 9: `size ${40 + (i % 5)}` } })),
      permissionCategory: '3',
    },
  };

  const result = buildLine(ORDER);
  const lines = linesOf(result);
  const parsed = lines.map((line) => parseLine(line));
  const expected = ORDER.data?.products ?? [];

  it('splits into several lines, each within 7 KB', () => {
    expect(result.ok).toBe(true);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(result.problems).toEqual([
      'left out X-WT-RQ (it repeats pu)',
      'left out the product categories ca1, ca2, ca3, ca4, ca5 (Mapp keeps the categories a product was first tracked with)',
      `split the 60 products across ${lines.length} lines: this hit and ${lines.length - 1} follow-up event${lines.length === 2 ? '' : 's'} ${PRODUCT_FOLLOW_UP_EVENT}`,
    ]);
  });

  it.each([['ov', '4321.09'], ['oi', 'ORD-60'], ['cb759', '690'], ['mc', 'wt_mc%3Dnewsletter'], ['one', '1']])('sends %s exactly once, in the first line', (name, value) => {
    expect(parsed.map(({ params }) => params.get(name))).toEqual([value, ...parsed.slice(1).map(() => undefined)]);
  });

  it('delivers every product exactly once, in order, with its cost, quantity and per-product parameter aligned per line', () => {
    const column = (name: string): string[] => parsed.flatMap(({ params }) => (params.has('ba') ? (params.get(name) ?? '').split(';') : []));
    expect(column('ba')).toEqual(expected.map((product) => product.id));
    expect(column('co')).toEqual(expected.map((product) => String(product.cost)));
    expect(column('qn')).toEqual(expected.map((product) => String(product.quantity)));
    expect(column('cb9')).toEqual(expected.map((product) => product.parameters?.[9]));
  });

  it.each([
    ['the same page name', (line: ReturnType<typeof parseLine>) => line.p[1], 'shop.example.com/checkout/confirmation'],
    ['the same visitor', (line: ReturnType<typeof parseLine>) => line.params.get('eid'), '2138210064900146323'],
    ['the same client address and user agent', (line: ReturnType<typeof parseLine>) => `${line.params.get('X-WT-IP')} ${line.params.get('X-WT-UA')}`, '203.0.113.9 Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0'],
    ['the product status', (line: ReturnType<typeof parseLine>) => line.params.get('st'), 'conf'],
    ['the currency of the costs', (line: ReturnType<typeof parseLine>) => line.params.get('cr'), 'EUR'],
    ['the permission category', (line: ReturnType<typeof parseLine>) => line.params.get('pec'), '3'],
    ['our sender id', (line: ReturnType<typeof parseLine>) => line.params.get('cs801'), SENDER_VERSION],
  ])('gives every line %s', (_label, pick, value) => {
    for (const line of parsed) expect(pick(line)).toBe(value);
  });

  it('makes the follow-ups events on the same page, after it: ct, referrer code 2, event time + n ms, no page data', () => {
    const [first, ...followUps] = parsed;
    expect(first?.params.has('ct')).toBe(false); // the page view itself
    expect(first?.params.get('pu')).toBe('https://shop.example.com/checkout/confirmation');
    followUps.forEach(({ p, params, names }, index) => {
      expect(params.get('ct')).toBe(PRODUCT_FOLLOW_UP_EVENT);
      expect([p[6], p[7]]).toEqual([String(ORDER.time + index + 1), '2']);
      expect(names.filter((name) => ['pu', 'X-WT-RQ', 'X-WT-SEC-CH-UA', 'mc', 'mca', 'ov', 'oi', 'one', 'cb759'].includes(name))).toEqual([]);
    });
  });

  it('leaves out per-product columns (for every product) only when one product alone does not fit a line', () => {
    const huge = buildLine({ ...BASE, data: { products: products(2, () => ({ parameters: { 1: EURO_255, 2: EURO_255, 3: EURO_255, 4: EURO_255 }, variant: 'blue' })) } });
    expect(huge.ok).toBe(true);
    expect(huge.problems).toEqual(['left out the per-product parameters cb1, cb2, cb3, cb4']);
    const { params } = parseLine(huge.line);
    expect([params.get('ba'), params.get('cb767'), params.has('cb1')]).toEqual([`${expected[0]?.id};${expected[1]?.id}`, 'blue;blue', false]);
  });

  it('sends an order too big for one line in one line when leaving out the product categories is enough', () => {
    const small = buildLine({ ...BASE, data: { order: { value: 10, id: 'o' }, products: products(3, () => ({ categories: { 1: EURO_255, 2: EURO_255, 3: EURO_255 } })) } });
    expect(small.ok && small.lines).toBe(undefined);
    expect(parseLine(small.line).params.get('ba')?.split(';')).toHaveLength(3);
  });
});
