import { describe, expect, it } from '@jest/globals';
import { validateLine } from '../src/index.js';
import { ANONYMOUS, EVENT, ORDER, PAGE_VIEW, PRODUCT_VIEW } from './sample-lines.js';

const P = 'p=600,home,,,,,1764201600000,0,,';

describe('validateLine', () => {
  it.each([
    ['a page view', PAGE_VIEW, 'page'],
    ['a product view', PRODUCT_VIEW, 'page'],
    ['an event with products', EVENT, 'event'],
    ['an order', ORDER, 'order'],
    ['an anonymous hit', ANONYMOUS, 'page'],
    ['the beacon form', `?${P}`, 'page'],
    ['a media event', `wt?${P}&mi=intro&mk=play`, 'event'],
    ['a form event', `wt?${P}&fn=contact`, 'event'],
    ['UTF-8 text', `wt?p=600,${encodeURIComponent('Größe & Ä')},,,,,1764201600000,0,,&cp1=${encodeURIComponent('日本')}`, 'page'],
    ['an empty product slot', `wt?${P}&ba=a%3Bb&cb767=%3Bblue&co=1.00%3B2&qn=1%3B1&st=add`, 'page'],
    ['an order-level parameter beside two products', `wt?${P}&ba=a%3Bb&co=1%3B2&qn=1%3B1&st=conf&ov=3&cb761=card`, 'order'],
    ['an order value with a comma', `wt?${P}&ov=12,50`, 'order'],
    ['an IPv6 client', `wt?${P}&X-WT-IP=2001%3Adb8%3A%3A1`, 'page'],
    ['the minimal request of the docs (docs/protocol.md §2)', 'wt?p=600,home', 'page'],
    ["the libraries' test line (docs/protocol.md §2)", 'wt?p=300,0', 'page'],
  ])('accepts %s', (_name, line, type) => {
    const result = validateLine(line);
    expect(result.problems).toEqual([]);
    expect(result.type).toBe(type);
  });

  it('decodes parameters and splits p into ten decoded fields', () => {
    const result = validateLine(`wt?p=600,${encodeURIComponent('shop/ä b')},,,,,1764201600000,${encodeURIComponent('https://x.test/?a=1')},,&ba=a%3Bb`);
    expect(result.p).toEqual(['600', 'shop/ä b', '', '', '', '', '1764201600000', 'https://x.test/?a=1', '', '']);
    expect(result.params['ba']).toBe('a;b');
  });

  it('accepts commas inside p field values, encoded as %2C like encodeURIComponent does', () => {
    const result = validateLine(`wt?p=600,${encodeURIComponent('shop/shoes,red')},,,,,1764201600000,${encodeURIComponent('https://x.test/a,b?c=1,2')},,`);
    expect(result.problems).toEqual([]);
    expect(result.p[1]).toBe('shop/shoes,red');
    expect(result.p[7]).toBe('https://x.test/a,b?c=1,2');
  });

  it.each([
    ['no p', 'wt?eid=8176420160012345678', 'p: missing'],
    ['an 11-field p', 'wt?p=600,home,,,,,1764201600000,0,,,', 'p: 11 fields, at most 10'],
    ['an encoded comma in p', 'wt?p=600%2Chome%2C%2C%2C%2C%2C%2C%2C%2C', 'p: contains an encoded comma'],
    ['encoded separators after the version', 'wt?p=600,home%2C%2C%2C%2C%2C1764201600000%2C0%2C%2C', 'p: contains an encoded comma'],
    ['a bad version', 'wt?p=abc,home,,,,,,0,,', 'p: version "abc"'],
    ['a client time in seconds', 'wt?p=600,home,,,,,1764201600,0,,', 'p: client time (field 7) "1764201600"'],
    ['an empty page name', 'wt?p=600,,,,,,,0,,', 'p: empty page name'],
    ['an 18-digit eid', `wt?${P}&eid=817642016001234567`, 'eid: "817642016001234567" is not 19 digits'],
    ['an eid on an anonymous hit', `wt?${P}&nc=1&eid=8176420160012345678`, 'eid: sent with nc=1'],
    ['invalid percent-encoding', `wt?${P}&cp1=50%ZZ`, 'cp1: invalid percent-encoding'],
    ['invalid UTF-8', `wt?${P}&cp1=%C3%28`, 'cp1: percent-encoded bytes are not valid UTF-8'],
    ['a plus for space', `wt?${P}&cp1=a+b`, 'cp1: "+" in value'],
    ['a raw space', `wt?${P}&cp1=a b`, 'line: raw space'],
    ['raw non-ASCII', `wt?${P}&cp1=ä`, 'line: raw space, control or non-ASCII'],
    ['a missing prefix', P, 'line: must start with "wt?"'],
    ['a 256-char value', `wt?${P}&cp1=${'x'.repeat(256)}`, 'cp1: value is 256 chars, over 255'],
    ['a 256-char item', `wt?${P}&cp1=a%3B${'x'.repeat(256)}`, 'cp1: value (item 2) is 256 chars'],
    ['a 111-char product id', `wt?${P}&ba=${'x'.repeat(111)}`, 'ba: value is 111 chars, over 110'],
    ['an over-long line', `wt?${P}&pu=${'x'.repeat(7200)}`, 'over the 7 KB (7168) limit'],
    ['misaligned costs', `wt?${P}&ba=a%3Bb&co=1`, 'co: 1 items but 2 products in ba'],
    ['misaligned categories', `wt?${P}&ba=a&ca1=x%3By`, 'ca1: 2 items but 1 products in ba'],
    ['a misaligned product parameter', `wt?${P}&ba=a%3Bb%3Bc&cb12=x%3By`, 'cb12: 2 items but 3 products'],
    ['costs without products', `wt?${P}&co=1`, 'co: product column without product ids'],
    ['a non-numeric quantity', `wt?${P}&ba=a&qn=two`, 'qn: "two" is not a whole number'],
    ['an unknown product status', `wt?${P}&ba=a&st=bought`, 'st: "bought" is not a product status'],
    ['a thousands separator in ov', `wt?${P}&ov=1.234,50`, 'ov: "1.234,50" is not a decimal number'],
    ['an order id without ov', `wt?${P}&oi=A1`, 'oi: order id without order value'],
    ['a lower-case currency', `wt?${P}&ov=1&cr=eur`, 'cr: "eur" is not an ISO currency code'],
    ['a bad client IP', `wt?${P}&X-WT-IP=999.1.1.1`, 'X-WT-IP: "999.1.1.1" is not one valid IP'],
    ['an IPv6 zone id in the client IP', `wt?${P}&X-WT-IP=fe80%3A%3A1%25eth0`, 'X-WT-IP: "fe80::1%eth0" is not one valid IP'],
    ['a plus in a parameter name', `wt?${P}&cp+1=a`, 'cp+1: "+" in name'],
    ['two client IPs', `wt?${P}&X-WT-IP=1.1.1.1&X-WT-IP=2.2.2.2`, 'X-WT-IP: repeated 2 times'],
    ['a list of IPs', `wt?${P}&X-WT-IP=1.1.1.1%2C2.2.2.2`, 'X-WT-IP: "1.1.1.1,2.2.2.2"'],
    ['a lower-case client header', `wt?${P}&x-wt-ip=1.1.1.1`, 'x-wt-ip: client-information names are upper case'],
    ['a single-encoded media code', `wt?${P}&mc=wt_mc%3Dnews`, 'mc: not double-encoded'],
    ['an unencoded media code', `wt?${P}&mc=wt_mc=news`, 'mc: not double-encoded'],
    ['a bad campaign action', `wt?${P}&mca=x`, 'mca: "x" is not c or v'],
    ['a bad flag', `wt?${P}&one=yes`, 'one: "yes" is not 0 or 1'],
    ['a bad language', `wt?${P}&la=english`, 'la: "english" is not a 2-letter language'],
  ])('flags %s', (_name, line, problem) => {
    const { problems } = validateLine(line);
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(problem)]));
  });

  it('never throws on garbage', () => {
    const garbage = ['', '%', '&&&', '=', 'wt?', 'wt?=&=', '%E0%A4%A', '\u0000\uffff', 'wt?p=%', 'wt?p=,,,,,,,,,,,,,,,,', '?'.repeat(10_000), `wt?${'&a'.repeat(5000)}`];
    for (const line of garbage) {
      const result = validateLine(line);
      expect(Array.isArray(result.problems)).toBe(true);
      expect(result.problems.length).toBeGreaterThan(0);
    }
  });

  it('holds a batch line to 7 KB but a single GET only to the pass-through limit', () => {
    const line = `wt?${P}&pu=${'x'.repeat(10 * 1024)}`;
    expect(validateLine(line).problems).toEqual([expect.stringContaining('over the 7 KB (7168) limit')]);
    expect(validateLine(line, { via: 'batch' }).problems).toEqual([expect.stringContaining('over the 7 KB (7168) limit')]);
    expect(validateLine(line, { via: 'wt' }).problems).toEqual([]);
    const longest = `wt?${P}&pu=${'x'.repeat(34_819 - `wt?${P}&pu=`.length)}`;
    expect(validateLine(longest, { via: 'wt' }).problems).toEqual([]);
    expect(validateLine(`${longest}x`, { via: 'wt' }).problems).toEqual([expect.stringContaining('over the 34819-byte limit of a single GET')]);
  });

  it('keeps the first of repeated parameters', () => {
    expect(validateLine(`wt?${P}&cp1=a&cp1=b`).params['cp1']).toBe('a');
  });

  it('counts the page name and text values in code points, as the tracker cuts them: an emoji is one character', () => {
    const emoji = (count: number): string => encodeURIComponent('\u{1F600}'.repeat(count));
    const at = `wt?p=600,${emoji(255)},,,,,1764201600000,0,,&cp1=${emoji(255)}&cg2=a%3B${emoji(255)}&ba=${emoji(110)}`;
    expect(validateLine(at, { via: 'wt' }).problems).toEqual([]);
    const over = `wt?p=600,${emoji(256)},,,,,1764201600000,0,,&cp1=${emoji(256)}&cg2=a%3B${emoji(256)}&ba=${emoji(111)}`;
    expect(validateLine(over, { via: 'wt' }).problems).toEqual([
      'p: page name is 256 chars, over 255',
      'cp1: value is 256 chars, over 255',
      'cg2: value (item 2) is 256 chars, over 255',
      'ba: value is 111 chars, over 110',
    ]);
    // A byte limit stays one: 600 four-byte emoji are 7,200 bytes, over the 7 KB of a batch line.
    expect(validateLine(`wt?${P}&pu=${emoji(600)}`).problems).toEqual([expect.stringContaining('over the 7 KB (7168) limit')]);
  });

  it('counts a double-encoded mc after its second decoding, as the tracker cuts it before encoding twice', () => {
    const twice = (text: string): string => encodeURIComponent(encodeURIComponent(text));
    expect(validateLine(`wt?${P}&mc=${twice(`wt_mc=${'a b'.repeat(83)}`)}&mca=c`).problems).toEqual([]);
    expect(validateLine(`wt?${P}&mc=${twice(`wt_mc=${'a'.repeat(250)}`)}&mca=c`).problems).toEqual(['mc: value is 256 chars, over 255']);
  });

  it('keeps parameters named like Object.prototype properties', () => {
    const result = validateLine(`wt?${P}&constructor=c1&toString=t1&__proto__=p1&hasOwnProperty=h1&valueOf=v1`);
    expect(result.problems).toEqual([]);
    expect(Object.keys(result.params)).toEqual(['p', 'constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']);
    expect(result.params['constructor']).toBe('c1');
    expect(result.params['__proto__']).toBe('p1');
    expect(JSON.parse(JSON.stringify(result.params))).toEqual(expect.objectContaining({ toString: 't1', hasOwnProperty: 'h1' }));
    // Absent ones read as absent, not as Object.prototype's functions.
    expect(validateLine(`wt?${P}`).params['constructor']).toBeUndefined();
    expect(validateLine(`wt?${P}&constructor=c1&constructor=c2`).problems).toEqual(['constructor: repeated 2 times (only the first is used)']);
  });

  it('takes the X-WT-* request headers of a single GET over the parameters, and checks them the same way', () => {
    const line = `wt?${P}&X-WT-IP=198.51.100.1&X-WT-UA=query-agent&X-WT-RQ=https%3A%2F%2Fquery.example%2F`;
    const headers = { 'X-WT-IP': '203.0.113.9', 'X-WT-UA': 'Mozilla/5.0 (header agent)', 'X-WT-RQ': 'https://shop.example.com/a?b=1' };
    const result = validateLine(line, { via: 'wt', headers });
    expect(result.problems).toEqual([]);
    expect(result.params).toEqual(expect.objectContaining(headers));
    expect(validateLine(`wt?${P}`, { via: 'wt', headers: { 'X-WT-UA': 'agent' } }).params['X-WT-UA']).toBe('agent');
    expect(validateLine(`wt?${P}&X-WT-IP=1.1.1.1`, { via: 'wt', headers: { 'X-WT-IP': 'fe80::1%eth0' } }).problems).toEqual([
      'X-WT-IP: "fe80::1%eth0" (request header) is not one valid IP address',
    ]);
    expect(validateLine(`wt?${P}`, { via: 'wt', headers: { 'X-WT-IP': '1.1.1.1, 2.2.2.2' } }).problems).toEqual([
      'X-WT-IP: "1.1.1.1, 2.2.2.2" (request header) is not one valid IP address',
    ]);
  });
});
