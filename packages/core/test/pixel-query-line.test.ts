import { describe, expect, it } from '@jest/globals';
import { buildPixelLine, isServerOwnedKey, normalizeKey, parsePixelQuery, withoutIdentity } from '../src/pixel/query-line.js';

const P = 'p=600,home,1,1920x1080,24,1,1730181123123,0,1280x720,0';

describe('pixel query parsing', () => {
  it.each([
    ['X-WT-IP=6.6.6.6'],
    ['x-wt-ip=6.6.6.6'],
    ['X%2DWT%2DIP=6.6.6.6'],
    ['X%252DWT%252DIP=6.6.6.6'],
    ['X%25252DWT%25252DIP=6.6.6.6'],
    ['X_WT_IP=6.6.6.6'],
    ['X-WT-IP+=6.6.6.6'],
    ['%20X-WT-IP=6.6.6.6'],
    ['X-WT-UA=evil'],
    ['X-Wt-Ua=evil'],
    ['X-WT-RQ=https%3A%2F%2Fevil.example'],
    ['X-WT-SEC-CH-UA=%22Evil%22'],
    ['X-WT-SEC-CH-UA-PLATFORM=%22EvilOS%22'],
    ['x-wt-sec-ch-ua-full-version-list=x'],
  ])('removes the browser-sent client-information pair %s', (spoof) => {
    const parsed = parsePixelQuery(`${P}&${spoof}&cp1=a&eor=1`);
    expect(parsed?.pairs).toEqual([P, 'cp1=a', 'eor=1']);
    expect(parsed?.removed).toBe(1);
  });

  it.each([
    ['X-WT-IPX=1', true],
    ['X-WT-EID=2157840760747614879', true],
    ['wt-ip=1', true],
    ['cp12=X-WT-IP%3D6.6.6.6', true],
  ])('keeps %s, which only resembles a server-owned key', (pair, kept) => {
    expect(parsePixelQuery(`${P}&${pair}`)?.pairs.includes(pair)).toBe(kept);
  });

  it('keeps every other pair byte for byte, in browser order', () => {
    const query = `${P}&eid=2157840760747614879&fns=1&one=0&cg1=home&cg15=Manieren%20per%20mausklick&cs7=non%20paywall%20user&pu=https%3A%2F%2Fwww.knigge.de%2F&la=de&eor=1`;
    const parsed = parsePixelQuery(query);
    expect(parsed?.pairs.join('&')).toBe(query);
    expect(parsed?.eid).toBe('2157840760747614879');
    expect(parsed?.pageName).toBe('home');
    expect(parsed?.isPage).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['cp1=a', 'no p'],
    ['p=abc', 'p without a version'],
    ['p=600,home&cp1=a b', 'a raw space'],
    ['p=600,home&cp1=a\r\nX-WT-IP=1', 'CR/LF'],
    ['p=600,home&cp1=ä', 'non-ASCII'],
  ])('refuses a query that is not a pixel hit: %j (%s)', (query) => {
    expect(parsePixelQuery(query)).toBeUndefined();
  });

  it.each([
    ['%HK'],
    ['%'],
    ['cp1=%FF'],
    ['cp1=%E0%A4%A'],
    ['+%ED%A0%80'],
    ['cp1=50%'],
    ['%ZZ=1'],
    ['X-WT-IP'],
    ['st'],
    ['=value'],
  ])('drops the pair %s (no value, a malformed escape, invalid UTF-8 or a repeated name) and keeps the rest', (pair) => {
    const parsed = parsePixelQuery(`${P}&${pair}&cp2=ok%20%C3%A4&eor=1`);
    expect(parsed?.pairs).toEqual([P, 'cp2=ok%20%C3%A4', 'eor=1']);
    expect(parsed?.malformed).toBe(1);
  });

  it('keeps the first of repeated names only', () => {
    const parsed = parsePixelQuery(`${P}&cp2=first&cp2=second&ba=1&ba=2`);
    expect(parsed?.pairs).toEqual([P, 'cp2=first', 'ba=1']);
    expect(parsed?.malformed).toBe(2);
  });

  it('refuses a query whose p itself is malformed', () => {
    expect(parsePixelQuery('p=600,%FF')).toBeUndefined();
  });

  it('drops a fragment, which would cut off the server pairs once the line is a URL', () => {
    expect(parsePixelQuery(`${P}&cp1=a#&X-WT-IP=6.6.6.6`)?.pairs).toEqual([P, 'cp1=a']);
    expect(parsePixelQuery('#p=600,x')).toBeUndefined();
  });

  it('keeps only the first valid eid and drops malformed or duplicate ones', () => {
    const parsed = parsePixelQuery(`${P}&eid=123&eid=2157840760747614879&eid=2999999999999999999&EID=2888888888888888888`);
    expect(parsed?.eid).toBe('2157840760747614879');
    expect(parsed?.pairs).toEqual([P, 'eid=2157840760747614879']);
  });

  it('classifies events, orders, products and anonymous hits', () => {
    expect(parsePixelQuery(`${P}&ct=click`)?.isPage).toBe(false);
    expect(parsePixelQuery(`${P}&ov=19.99&oi=A1`)?.hasOrder).toBe(true);
    expect(parsePixelQuery(`${P}&ov=`)?.hasOrder).toBe(false);
    expect(parsePixelQuery(`${P}&ba=sku1&st=add`)?.productStatus).toBe('add');
    expect(parsePixelQuery(`${P}&nc=1`)?.anonymous).toBe(true);
  });

  it('strips every visitor id in anonymous mode', () => {
    const parsed = parsePixelQuery(`${P}&eid=2157840760747614879&X-WT-EID=2157840760747614879&cp1=a`);
    expect(parsed === undefined ? undefined : withoutIdentity(parsed).pairs).toEqual([P, 'cp1=a']);
  });
});

describe('pixel line building', () => {
  it('appends the server pairs before the end-of-request marker', () => {
    expect(buildPixelLine([P, 'cp1=a', 'eor=1'], ['X-WT-IP=203.0.113.9'])).toBe(`wt?${P}&cp1=a&X-WT-IP=203.0.113.9&eor=1`);
    expect(buildPixelLine([P, 'cp1=a'], ['X-WT-IP=203.0.113.9'])).toBe(`wt?${P}&cp1=a&X-WT-IP=203.0.113.9`);
  });

  it.each([
    ['X-WT-IP', 'x-wt-ip', true],
    ['X%2dwt%2Dsec%2Dch%2Dua%2Dmodel', 'x-wt-sec-ch-ua-model', true],
    ['%E0%A4%A', '%e0%a4%a', false],
  ])('normalises the key %s to %s', (key, normalized, owned) => {
    expect(normalizeKey(key)).toBe(normalized);
    expect(isServerOwnedKey(normalizeKey(key))).toBe(owned);
  });
});
