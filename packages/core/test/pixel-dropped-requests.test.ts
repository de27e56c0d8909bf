import { describe, expect, it } from '@jest/globals';
import { compileBlacklist, isDroppedRequest, type DroppedRequests } from '../src/pixel/dropped-requests.js';
import { parsePixelQuery } from '../src/pixel/query-line.js';

function query(text: string) {
  const parsed = parsePixelQuery(text);
  if (parsed === undefined) throw new Error(`not a pixel query: ${text}`);
  return parsed;
}

const all = compileBlacklist([/.+/]);

describe('droppedRequests', () => {
  it.each<[DroppedRequests, string, boolean]>([
    [0, 'p=600,checkout&ov=10&oi=1', false],
    [1, 'p=600,checkout&ov=10&oi=1', true],
    [1, 'p=600,checkout&ov=&oi=1', false],
    [1, 'p=600,home', false],
    [2, 'p=600,product&ba=sku&st=view', true],
    [2, 'p=600,product&ba=sku&st=add', true],
    [2, 'p=600,product&ba=sku&st=conf', true],
    [2, 'p=600,product&ba=sku&st=add-wl', false],
    [2, 'p=600,product&ba=sku&st=checkout', false],
    [2, 'p=600,product&ov=10', false],
    [3, 'p=600,home', true],
    [3, 'p=600,home&ct=teaser.click', false],
    [3, 'p=600,home&mi=video&mk=play', false],
    [3, 'p=600,home&fn=contact', false],
  ])('level %i %s → dropped %s', (level, text, dropped) => {
    expect(isDroppedRequest(query(text), level, all)).toBe(dropped);
  });

  it.each([
    [['shop.example.com/checkout'], 'shop.example.com/checkout', true],
    [['shop.example.com/checkout'], 'shop.example.com/checkout/done', false],
    [['shop.example.com/checkout*'], 'shop.example.com/checkout/done', true],
    [['*/checkout/*'], 'shop.example.com/checkout/done', true],
    [['*.example.com/*'], 'shopXexample.com/x', false],
    [['a+b*'], 'a+b/c', true],
    [['a+b*'], 'aab/c', false],
    [[/^shop\.example\.com\/order/g], 'shop.example.com/order/1', true],
    [[/home/], 'shop.example.com/checkout', false],
  ])('blacklist %j matches %j: %s', (patterns, name, matches) => {
    const test = compileBlacklist(patterns);
    expect(test(name)).toBe(matches);
    // A global RegExp must not flip between calls.
    expect(test(name)).toBe(matches);
  });

  it('only drops page hits whose names match the blacklist', () => {
    const checkout = compileBlacklist(['*checkout*']);
    expect(isDroppedRequest(query('p=600,shop%2Fcheckout'), 3, checkout)).toBe(true);
    expect(isDroppedRequest(query('p=600,shop%2Fhome'), 3, checkout)).toBe(false);
  });
});
