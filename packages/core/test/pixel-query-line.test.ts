import { describe, expect, it } from '@jest/globals';
import { buildPixelLine, decodeKey, isServerOwnedKey, parsePixelQuery, withoutIdentity } from '../src/pixel/query-line.js';

const P = 'p=600,home,1,1920x1080,24,1,1730181123123,0,1280x720,0';

describe('pixel query parsing', () => {
  it.each([
    ['X-WT-IP=6.6.6.6'],
    ['x-wt-ip=6.6.6.6'],
    ['X%2DWT%2DIP=6.6.6.6'],
    ['X%252DWT%252DIP=6.6.6.6'],
    ['X%25252DWT%25252DIP=6.6.6.6'],
    ['X%2525252DWT-IP=6.6.6.6'],
    ['X-WT-%49P=6.6.6.6'],
    ['X_WT_IP=6.6.6.6'],
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

  it.each([
    ['a trailing NUL', 'X-WT-IP%00=6.6.6.6'],
    ['a trailing zero-width space', 'X-WT-IP%E2%80%8B=6.6.6.6'],
    ['a dotted capital I', 'X-WT-%C4%B0P=6.6.6.6'],
    ['a NUL, encoded twice', 'X-WT-IP%2500=6.6.6.6'],
    ['a plus', 'X-WT-IP+=6.6.6.6'],
    ['a leading space', '%20X-WT-IP=6.6.6.6'],
    ['a dot', 'X.WT.IP=6.6.6.6'],
    ['a key that still changes after eight rounds', `X-WT-IP%${'25'.repeat(9)}00=6.6.6.6`],
    ['a malformed escape two levels down', 'X-WT-IP%25ZZ=6.6.6.6'],
    ['a bracket', 'cp1%5B%5D=a'],
  ])('drops a pair whose fully decoded key is not a plain name: %s (%s)', (_label, pair) => {
    const parsed = parsePixelQuery(`${P}&${pair}&cp2=ok&eor=1`);
    expect(parsed?.pairs).toEqual([P, 'cp2=ok', 'eor=1']);
    expect(parsed?.malformed).toBe(1);
    // What is left, fully decoded, names no client information at all: only the server's pairs will.
    expect(parsed?.pairs.map((pair) => decodeKey(pair.split('=', 1)[0] ?? '')).some((key) => key === undefined || isServerOwnedKey(key))).toBe(false);
  });

  it.each([
    ['p', P],
    ['cp12', 'cp12=a%20b'],
    ['an encoded plain name', 'cp%31=x'],
    ['X-WT-EID (the pixel writes it in app web views)', 'X-WT-EID=2157840760747614879'],
    ['dashes and underscores', 'my_param-2=1'],
    ['a value with every kind of escape, kept verbatim', 'cp3=%2525%00%E2%80%8B%C4%B0'],
  ])('keeps legitimate pairs byte for byte: %s', (_label, pair) => {
    const query = pair === P ? P : `${P}&${pair}`;
    const parsed = parsePixelQuery(query);
    expect(parsed?.pairs.join('&')).toBe(query);
    expect(parsed?.malformed).toBe(0);
    expect(parsed?.removed).toBe(0);
  });

  it('treats a key and its encoded form as one name (a repeat is dropped)', () => {
    const parsed = parsePixelQuery(`${P}&cp1=first&cp%31=second`);
    expect(parsed?.pairs).toEqual([P, 'cp1=first']);
    expect(parsed?.malformed).toBe(1);
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
    ['cp1=a+b'],
    ['10GO=%2e%2e2]\\pZ+\\'],
    ['%ZZ=1'],
    ['X-WT-IP'],
    ['st'],
    ['=value'],
  ])('drops the pair %s (no value, a malformed escape, a raw plus, invalid UTF-8 or a repeated name) and keeps the rest', (pair) => {
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
    // A raw plus is a space to some decoders and a plus to others: the page name would be a guess.
    expect(parsePixelQuery('p=600,Red+Shoes,1')).toBeUndefined();
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

  it.each<[string, string | undefined, boolean]>([
    ['X-WT-IP', 'X-WT-IP', true],
    ['x_wt_ua', 'x_wt_ua', true],
    ['X%2dwt%2Dsec%2Dch%2Dua%2Dmodel', 'X-wt-sec-ch-ua-model', true],
    ['X%2525252DWT-IP', 'X-WT-IP', true],
    ['X-WT-EID', 'X-WT-EID', false],
    ['X-WT-IPX', 'X-WT-IPX', false],
    ['%E0%A4%A', undefined, false],
    ['X-WT-IP%00', undefined, false],
  ])('decodes the key %s to %s (server-owned: %s)', (key, decoded, owned) => {
    expect(decodeKey(key)).toBe(decoded);
    expect(decoded !== undefined && isServerOwnedKey(decoded)).toBe(owned);
  });
});
