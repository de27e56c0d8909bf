import { describe, expect, it } from '@jest/globals';
import { MAX_LINE_BYTES } from '../src/encode.js';
import { buildLine, type LineInput } from '../src/hit.js';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import type { RequestContext } from '../src/types.js';
import { context, parseLine, TRACK_ID } from './helpers.js';

const BASE: LineInput = { pageName: 'home', time: 1730181123123, referrer: '0', anonymous: false };

async function decide(overrides: Partial<RequestContext> & { headers?: Record<string, string> }): Promise<string> {
  const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: createMemoryTransport() });
  const ctx = context(overrides);
  const result = await tracker.end(ctx, await tracker.begin(ctx));
  return result.ok ? 'sent' : result.status === 'skipped' ? result.reason : result.status;
}

describe('money figures are decimal(12,2) (docs/protocol.md §4)', () => {
  it('rounds numeric costs and order figures to cents, so float noise never reaches Mapp', () => {
    const { params } = parseLine(
      buildLine({
        ...BASE,
        data: {
          order: { value: 0.1 + 0.2, id: 'o1', tax: 73.53999999999999, shippingCosts: 4.999999, couponValue: 1, grossMargin: 12.345 },
          products: [{ id: 'a', cost: 10 + 6354 / 100 }, { id: 'b', cost: 3 * 1.1 }],
        },
      }).line,
    );
    expect(params.get('co')).toBe('73.54;3.3');
    expect(params.get('ov')).toBe('0.3');
    expect(params.get('cb759')).toBe('73.54');
    expect(params.get('cb764')).toBe('5');
    expect(params.get('cb563')).toBe('1');
    expect(params.get('cb765')).toBe('12.35');
  });

  it('passes string figures through as the caller formatted them', () => {
    const { params } = parseLine(buildLine({ ...BASE, data: { order: { value: '19,90' }, products: [{ id: 'a', cost: 1 }] } }).line);
    expect(params.get('ov')).toBe('19,90');
  });
});

describe('a very long page URL costs the URL, never the page view, and is never cut', () => {
  it.each([
    ['a 12,000-character path', `http://shop.example/products/${'a'.repeat(12_000)}?x=1`],
    ['1,500 encoded euro signs (13.5 KB)', `http://shop.example/p/${'%E2%82%AC'.repeat(1500)}`],
  ])('%s: pu is left out whole (a cut URL is a page that does not exist), the page view is sent', (_label, pageUrl) => {
    const pageName = `shop.example${pageUrl.slice('http://shop.example'.length)}`;
    const result = buildLine({ ...BASE, pageName, pageUrl, userAgent: 'Mozilla/5.0' });
    expect(result.ok).toBe(true);
    expect(result.line.length).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(result.problems).toEqual(expect.arrayContaining(['left out X-WT-RQ (it repeats pu)', 'left out the page URL (pu)']));
    const { p, params } = parseLine(result.line);
    expect([params.has('pu'), params.has('X-WT-RQ')]).toEqual([false, false]);
    expect(p[1]).toBe([...pageName].slice(0, 255).join('')); // cut at Mapp's 255-character limit only
  });

  it('keeps the path of a long page URL when leaving out its query is enough', () => {
    const pageUrl = `http://shop.example/products/shoes?${'q'.repeat(8000)}`;
    const result = buildLine({ ...BASE, pageUrl });
    expect(result.problems).toEqual(['left out X-WT-RQ (it repeats pu)', 'left out the page URL query (pu)']);
    expect(parseLine(result.line).params.get('pu')).toBe('http://shop.example/products/shoes');
  });

  it('bounds a referrer whose host alone is huge (its origin, cut at 255 characters)', () => {
    const result = buildLine({ ...BASE, referrer: `http://${'h'.repeat(9000)}.example/`, pageUrl: 'http://shop.example/' });
    expect(result.ok).toBe(true);
    expect(parseLine(result.line).p[7]).toBe(`http://${'h'.repeat(248)}`);
  });
});

describe('conditional GET: a 304 to a document request is a page view', () => {
  it.each<[string, Partial<RequestContext> & { headers?: Record<string, string> }, string]>([
    ['browser reload (navigate, no content type)', { status: 304, contentType: undefined, headers: { 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', accept: 'text/html' } }, 'sent'],
    ['Accept: text/html only', { status: 304, contentType: undefined, headers: { accept: 'text/html,application/xhtml+xml' } }, 'sent'],
    ['a 304 keeping text/html', { status: 304, contentType: 'text/html; charset=utf-8', headers: { accept: 'text/html' } }, 'sent'],
    ['a 304 to an API client', { status: 304, contentType: undefined, headers: { accept: 'application/json' } }, 'status'],
    ['a 304 to Accept: */*', { status: 304, contentType: undefined, headers: { accept: '*/*' } }, 'status'],
    ['a 304 with a JSON content type', { status: 304, contentType: 'application/json', headers: { accept: 'text/html' } }, 'content-type'],
    ['other 3xx stay no page view', { status: 302, contentType: 'text/html', headers: { accept: 'text/html' } }, 'status'],
  ])('%s → %s', async (_label, overrides, expected) => {
    expect(await decide(overrides)).toBe(expected);
  });
});

describe('products without an id Mapp can store', () => {
  it('drops them, keeping the other columns aligned', () => {
    const result = buildLine({
      ...BASE,
      data: { products: [{ id: '', cost: 1, quantity: 1 }, { id: 'b', cost: 2, quantity: 2, variant: 'v' }, { id: ' "\u0001 ', cost: 3, quantity: 3 }], productStatus: 'add' },
    });
    const { params } = parseLine(result.line);
    expect(params.get('ba')).toBe('b');
    expect(params.get('co')).toBe('2');
    expect(params.get('qn')).toBe('2');
    expect(params.get('cb767')).toBe('v');
    expect(params.get('st')).toBe('add');
    expect(result.problems).toContain('2 of 3 products without an id were dropped');
  });

  it('sends no product columns (and no st or cr) when none is left', () => {
    const result = buildLine({ ...BASE, data: { products: [{ id: '', cost: 25.1, quantity: 1 }], productStatus: 'add', currency: 'EUR' } });
    const { names } = parseLine(result.line);
    for (const name of ['ba', 'co', 'qn', 'st', 'cr']) expect(names).not.toContain(name);
    expect(result.ok).toBe(true);
  });

  it('keeps an order without products', () => {
    const { params, names } = parseLine(buildLine({ ...BASE, data: { order: { value: 10, id: 'o', currency: 'EUR' }, products: [{ id: '  ' }] } }).line);
    expect(params.get('ov')).toBe('10');
    expect(params.get('cr')).toBe('EUR');
    expect(names).not.toContain('ba');
    expect(names).not.toContain('st');
  });
});
