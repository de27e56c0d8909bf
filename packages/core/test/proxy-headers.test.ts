import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatIp, parseIp } from '../src/ip.js';
import { parseForwarded, requestFacts } from '../src/request-facts.js';
import type { ProxyHeaders, TrackerOptions } from '../src/types.js';
import { config, context } from './helpers.js';

/** Our peer, a proxy in 10.0.0.0/8; the page as the connection and Host header show it. */
const PEER = '10.0.0.1';
const URL_AS_RECEIVED = 'http://shop.example.com/a';
const CONNECTION_PAGE = 'http://shop.example.com/a';
const LB = ['10.0.0.0/8'];
/** A CDN in front of the load balancer. */
const CDN_AND_LB = ['10.0.0.0/8', '192.0.2.0/24'];

type Row = [label: string, options: TrackerOptions, headers: Record<string, string>, ip: string | undefined, pageUrl: string];

function facts(options: TrackerOptions, headers: Record<string, string>, remoteAddress: string | undefined) {
  return requestFacts(context({ url: URL_AS_RECEIVED, remoteAddress, headers }), config(options));
}

describe('HAProxy-style: the trusted proxy appends Forwarded and leaves X-Forwarded-* alone', () => {
  it.each<Row>([
    ['its element gives IP, scheme and host', { trustProxy: LB }, { forwarded: 'for=203.0.113.5;proto=https;host=www.shop.com' }, '203.0.113.5', 'https://www.shop.com/a'],
    ['a client-sent X-Forwarded-Host/-Proto is ignored', { trustProxy: LB }, { forwarded: 'for=203.0.113.5;proto=http;host=www.shop.com', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }, '203.0.113.5', 'http://www.shop.com/a'],
    ['a client-sent X-Forwarded-For (auto): the chains disagree, so the proxy is the client', { trustProxy: LB }, { forwarded: 'for=203.0.113.5;proto=https;host=www.shop.com', 'x-forwarded-for': '198.51.100.66' }, PEER, CONNECTION_PAGE],
    ['a client-sent X-Forwarded-For, pinned to forwarded', { trustProxy: LB, proxyHeaders: 'forwarded' }, { forwarded: 'for=203.0.113.5;proto=https;host=www.shop.com', 'x-forwarded-for': '198.51.100.66' }, '203.0.113.5', 'https://www.shop.com/a'],
    ['a client-sent X-Forwarded-For naming the real client (auto): the IP agrees, scheme and host do not', { trustProxy: LB }, { forwarded: 'for=203.0.113.5;proto=https;host=www.shop.com', 'x-forwarded-for': '198.51.100.66, 203.0.113.5', 'x-forwarded-host': 'evil.example' }, '203.0.113.5', CONNECTION_PAGE],
    ['a client-sent element on the left is never used', { trustProxy: LB }, { forwarded: 'for=198.51.100.66;proto=https;host=evil.example, for=203.0.113.5;proto=http;host=www.shop.com' }, '203.0.113.5', 'http://www.shop.com/a'],
    ['a client quote that never closes cannot swallow the proxy element', { trustProxy: LB }, { forwarded: 'host=evil.example;proto=https;for="x, for=203.0.113.5;proto=http;host=www.shop.com' }, PEER, CONNECTION_PAGE],
    ['an escaped quote in a client value does not shift the proxy element', { trustProxy: LB }, { forwarded: 'for="_a\\",b";host=evil.example, for=203.0.113.5;host=www.shop.com' }, '203.0.113.5', 'http://www.shop.com/a'],
    ['a quoted comma is one (junk) element', { trustProxy: LB }, { forwarded: 'for="198.51.100.66, 203.0.113.10"' }, PEER, CONNECTION_PAGE],
    ['CDN and LB trusted: scheme and host of the element that names the client', { trustProxy: CDN_AND_LB }, { forwarded: 'for=198.51.100.66;host=evil.example, for=203.0.113.5;proto=https;host=www.shop.com, for=192.0.2.10;proto=http;host=lb.internal' }, '203.0.113.5', 'https://www.shop.com/a'],
    ['without scheme and host there, the nearer trusted element gives them', { trustProxy: CDN_AND_LB }, { forwarded: 'for=203.0.113.5, for=192.0.2.10;proto=https;host=www.shop.com' }, '203.0.113.5', 'https://www.shop.com/a'],
    ['only the LB trusted: the CDN is the client, its element is the LB one', { trustProxy: LB }, { forwarded: 'for=203.0.113.5;proto=https;host=www.shop.com, for=192.0.2.10;proto=http;host=lb.internal' }, '192.0.2.10', 'http://lb.internal/a'],
    ['quoted IPv6 with brackets and a port', { trustProxy: LB }, { forwarded: 'for="[2001:db8::1]:4711";proto=https;host="www.shop.com"' }, '2001:db8::1', 'https://www.shop.com/a'],
    ['quoted IPv4 with a port', { trustProxy: LB }, { forwarded: 'for="203.0.113.5:4711"' }, '203.0.113.5', CONNECTION_PAGE],
    ['names and values in any case, spaces around pairs', { trustProxy: LB }, { forwarded: ' For=203.0.113.5 ; PROTO=HTTPS ; Host="WWW.Shop.com:8443"' }, '203.0.113.5', 'https://www.shop.com:8443/a'],
    ['an obfuscated client: the proxy as the IP, its scheme and host still apply', { trustProxy: LB }, { forwarded: 'for=_hidden;proto=https;host=www.shop.com' }, PEER, 'https://www.shop.com/a'],
    ['unknown: the proxy as the IP', { trustProxy: LB }, { forwarded: 'for=198.51.100.66, for=unknown;proto=https' }, PEER, 'https://shop.example.com/a'],
    ['an obfuscated trusted hop stops the walk at the last verified one', { trustProxy: CDN_AND_LB }, { forwarded: 'for=198.51.100.66;host=evil.example, for=_cdn;host=www.shop.com, for=192.0.2.10;host=lb.internal' }, '192.0.2.10', 'http://www.shop.com/a'],
    ['junk scheme and host from the proxy are ignored', { trustProxy: LB }, { forwarded: 'for=203.0.113.5;proto=javascript;host="a.com/evil?x"' }, '203.0.113.5', CONNECTION_PAGE],
    ['an element without for', { trustProxy: LB }, { forwarded: 'proto=https;host=www.shop.com' }, PEER, 'https://www.shop.com/a'],
    ['a hop count of 1', { trustProxy: 1 }, { forwarded: 'for=198.51.100.66;host=evil.example, for=203.0.113.5;host=www.shop.com' }, '203.0.113.5', 'http://www.shop.com/a'],
    ['a hop count of 2', { trustProxy: 2 }, { forwarded: 'for=198.51.100.66;host=evil.example, for=203.0.113.5;host=www.shop.com, for=192.0.2.10;host=lb.internal' }, '203.0.113.5', 'http://www.shop.com/a'],
    ['true trusts every hop, so the left-most element wins (only for fully trusted chains)', { trustProxy: true }, { forwarded: 'for=198.51.100.66;host=evil.example, for=203.0.113.5;host=www.shop.com' }, '198.51.100.66', 'http://evil.example/a'],
    ['false reads nothing', { trustProxy: false }, { forwarded: 'for=203.0.113.5;proto=https;host=www.shop.com' }, PEER, CONNECTION_PAGE],
    ['pinned to x-forwarded, Forwarded is ignored', { trustProxy: LB, proxyHeaders: 'x-forwarded' }, { forwarded: 'for=203.0.113.5;proto=https;host=www.shop.com' }, PEER, CONNECTION_PAGE],
  ])('%s', (_label, options, headers, ip, pageUrl) => {
    const result = facts(options, headers, PEER);
    expect(result.ip).toBe(ip);
    expect(result.pageUrl).toBe(pageUrl);
  });

  it.each<[string, string, TrackerOptions]>([
    ['loopback', '127.0.0.1', { trustProxy: 'loopback' }],
    ['IPv6 loopback', '::1', { trustProxy: ['loopback'] }],
    ['a CIDR list', '192.168.7.7', { trustProxy: ['192.168.0.0/16'] }],
    ['an IPv4-mapped peer', '::ffff:10.1.2.3', { trustProxy: LB }],
  ])('trusts a %s peer', (_label, peer, options) => {
    const result = facts(options, { forwarded: 'for=203.0.113.5;proto=https;host=www.shop.com' }, peer);
    expect([result.ip, result.pageUrl]).toEqual(['203.0.113.5', 'https://www.shop.com/a']);
  });

  it.each<[string, string | undefined, TrackerOptions]>([
    ['an untrusted peer', '6.6.6.6', { trustProxy: LB }],
    ['a peer outside loopback', '10.0.0.1', { trustProxy: 'loopback' }],
    ['an unknown peer with a list', undefined, { trustProxy: LB }],
  ])('reads nothing from %s', (_label, peer, options) => {
    const result = facts(options, { forwarded: 'for=203.0.113.5;proto=https;host=www.shop.com', 'x-forwarded-for': '203.0.113.5' }, peer);
    expect(result.ip).toBe(peer === undefined ? undefined : formatIp(parseIp(peer)!));
    expect(result.pageUrl).toBe(CONNECTION_PAGE);
  });
});

describe('nginx-style: the trusted proxy appends X-Forwarded-For and sets X-Forwarded-Proto/-Host', () => {
  it.each<Row>([
    ['one hop', { trustProxy: LB }, { 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'www.shop.com' }, '203.0.113.5', 'https://www.shop.com/a'],
    ['client values on the left, the proxy overwrote scheme and host', { trustProxy: LB }, { 'x-forwarded-for': '198.51.100.66, 203.0.113.5', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'www.shop.com' }, '203.0.113.5', 'https://www.shop.com/a'],
    ['the proxy appended scheme and host too: the items of the same hop', { trustProxy: LB }, { 'x-forwarded-for': '198.51.100.66, 203.0.113.5', 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'evil.example, www.shop.com' }, '203.0.113.5', 'http://www.shop.com/a'],
    ['CDN and LB appending everything: the CDN items', { trustProxy: CDN_AND_LB }, { 'x-forwarded-for': '198.51.100.66, 203.0.113.5, 192.0.2.10', 'x-forwarded-proto': 'http, https, http', 'x-forwarded-host': 'evil.example, www.shop.com, lb.internal' }, '203.0.113.5', 'https://www.shop.com/a'],
    ['counts differ: the right-most item, never the client-side one', { trustProxy: CDN_AND_LB }, { 'x-forwarded-for': '198.51.100.66, 203.0.113.5, 192.0.2.10', 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'evil.example, www.shop.com' }, '203.0.113.5', 'http://www.shop.com/a'],
    ['a client-sent Forwarded (auto): the chains disagree, so the proxy is the client', { trustProxy: LB }, { 'x-forwarded-for': '203.0.113.5', forwarded: 'for=198.51.100.66;proto=https;host=evil.example', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'www.shop.com' }, PEER, CONNECTION_PAGE],
    ['a client-sent Forwarded, pinned to x-forwarded', { trustProxy: LB, proxyHeaders: 'x-forwarded' }, { 'x-forwarded-for': '203.0.113.5', forwarded: 'for=198.51.100.66;proto=https;host=evil.example', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'www.shop.com' }, '203.0.113.5', 'http://www.shop.com/a'],
    ['a client-sent Forwarded naming the real client (auto): its scheme and host disagree, so neither applies', { trustProxy: LB }, { 'x-forwarded-for': '203.0.113.5', forwarded: 'for=203.0.113.5;proto=https;host=evil.example', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'www.shop.com' }, '203.0.113.5', CONNECTION_PAGE],
    ['a proxy that writes both kinds (auto): everything agrees', { trustProxy: LB }, { 'x-forwarded-for': '198.51.100.66, 203.0.113.5', forwarded: 'for=203.0.113.5;proto=https;host=www.shop.com', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'www.shop.com' }, '203.0.113.5', 'https://www.shop.com/a'],
    ['both kinds agreeing through two trusted hops', { trustProxy: CDN_AND_LB }, { 'x-forwarded-for': '203.0.113.5, 192.0.2.10', forwarded: 'for=203.0.113.5, for="192.0.2.10:80"' }, '203.0.113.5', CONNECTION_PAGE],
    ['both kinds, one chain shorter: the walk stops where it ends', { trustProxy: CDN_AND_LB }, { 'x-forwarded-for': '203.0.113.5, 192.0.2.10', forwarded: 'for=192.0.2.10' }, '192.0.2.10', CONNECTION_PAGE],
    ['a malformed Forwarded next to X-Forwarded-For (auto)', { trustProxy: LB }, { 'x-forwarded-for': '203.0.113.5', forwarded: 'for="203.0.113.5' }, PEER, CONNECTION_PAGE],
    ['a client-sent Forwarded with X-Forwarded-For absent (pinned): ignored', { trustProxy: LB, proxyHeaders: 'x-forwarded' }, { forwarded: 'for=198.51.100.66;host=evil.example', 'x-forwarded-host': 'www.shop.com' }, PEER, 'http://www.shop.com/a'],
    ['pinned to forwarded, X-Forwarded-* are ignored', { trustProxy: LB, proxyHeaders: 'forwarded' }, { 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'www.shop.com' }, PEER, CONNECTION_PAGE],
    ['bracketed IPv6 with a port', { trustProxy: LB }, { 'x-forwarded-for': '[2001:DB8::7]:443' }, '2001:db8::7', CONNECTION_PAGE],
    ['scheme and host in upper case, with spaces', { trustProxy: LB }, { 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': ' HTTPS ', 'x-forwarded-host': ' WWW.Shop.COM ' }, '203.0.113.5', 'https://www.shop.com/a'],
    ['an obfuscated entry: the proxy as the IP, the same item for scheme', { trustProxy: LB }, { 'x-forwarded-for': 'unknown', 'x-forwarded-proto': 'https' }, PEER, 'https://shop.example.com/a'],
    ['a hop count of 1', { trustProxy: 1 }, { 'x-forwarded-for': '198.51.100.66, 203.0.113.5', 'x-forwarded-host': 'evil.example, www.shop.com' }, '203.0.113.5', 'http://www.shop.com/a'],
    ['false reads nothing', { trustProxy: false }, { 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'www.shop.com' }, PEER, CONNECTION_PAGE],
    ['a vendor header names the client; scheme and host still come from the chain', { trustProxy: LB, clientIpHeaders: ['x-real-ip'] }, { 'x-real-ip': '203.0.113.9', 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': 'https' }, '203.0.113.9', 'https://shop.example.com/a'],
  ])('%s', (_label, options, headers, ip, pageUrl) => {
    const result = facts(options, headers, PEER);
    expect(result.ip).toBe(ip);
    expect(result.pageUrl).toBe(pageUrl);
  });
});

describe('absolute-form request targets', () => {
  it.each<[string, TrackerOptions, string | undefined, Record<string, string>, string]>([
    ['ignored without trustProxy', {}, PEER, {}, 'http://shop.example.com/x?q=1'],
    ['ignored from an untrusted peer', { trustProxy: LB }, '6.6.6.6', {}, 'http://shop.example.com/x?q=1'],
    // HAProxy relays a client's absolute-form target unchanged: even a trusted peer's may be the client's.
    ['ignored from a trusted proxy too', { trustProxy: LB }, PEER, {}, 'http://shop.example.com/x?q=1'],
    ["a trusted proxy's headers set scheme and host", { trustProxy: LB }, PEER, { forwarded: 'for=203.0.113.5;proto=https;host=www.shop.com' }, 'https://www.shop.com/x?q=1'],
  ])('%s', (_label, options, peer, headers, pageUrl) => {
    const ctx = context({ url: 'http://shop.example.com/x?q=1', absoluteTarget: 'https://evil.example:8443/x?q=1', remoteAddress: peer, headers });
    expect(requestFacts(ctx, config(options)).pageUrl).toBe(pageUrl);
  });

  it.each(['ftp://evil.example/x', 'https://ev il.example/x', 'https:///x'])('ignores a malformed target %j from a trusted proxy', (target) => {
    const ctx = context({ url: 'http://shop.example.com/x', absoluteTarget: target, remoteAddress: PEER });
    expect(requestFacts(ctx, config({ trustProxy: LB })).pageUrl).toBe('http://shop.example.com/x');
  });
});

describe('parseForwarded', () => {
  it.each<[string, ReturnType<typeof parseForwarded>]>([
    ['for=1.2.3.4', [{ for: '1.2.3.4', proto: undefined, host: undefined }]],
    ['for=1.2.3.4;proto=https;host=a.com;by=5.6.7.8, for="[::1]:80"', [{ for: '1.2.3.4', proto: 'https', host: 'a.com' }, { for: '[::1]:80', proto: undefined, host: undefined }]],
    ['FOR=a;For=b', [{ for: 'a', proto: undefined, host: undefined }]],
    ['host="a;b,c"', [{ for: undefined, proto: undefined, host: 'a;b,c' }]],
    ['for="a\\"b"', [{ for: 'a"b', proto: undefined, host: undefined }]],
    ['for=a,,for=b', [{ for: 'a', proto: undefined, host: undefined }, { for: undefined, proto: undefined, host: undefined }, { for: 'b', proto: undefined, host: undefined }]],
    ['for="a', undefined],
    ['for="a\\"', undefined],
  ])('%j', (value, expected) => {
    expect(parseForwarded(value)).toEqual(expected);
  });
});

/** What a client may send itself: any mix of proxy headers, junk, quotes and separators included. */
const junk = fc.string({ unit: fc.constantFrom(...'for=;,"\\ []:_.proto=hst12345abcdefABCDEF'.split('')), maxLength: 40 });
const ipText = fc.oneof(fc.ipV4(), fc.ipV6());
const clientHeaders = fc.record(
  {
    'x-forwarded-for': fc.oneof(junk, fc.array(fc.oneof(ipText, junk), { maxLength: 4 }).map((items) => items.join(', '))),
    'x-forwarded-proto': fc.oneof(junk, fc.constantFrom('https', 'http, https', 'HTTPS')),
    'x-forwarded-host': fc.oneof(junk, fc.constantFrom('evil.example', 'evil.example, www.shop.com')),
    forwarded: fc.oneof(junk, fc.array(fc.tuple(ipText, fc.constantFrom('http', 'https'), fc.constantFrom('evil.example', 'www.shop.com')), { maxLength: 3 }).map((items) => items.map(([ip, proto, host]) => `for="${ip.includes(':') ? `[${ip}]` : ip}";proto=${proto};host=${host}`).join(', '))),
  },
  { requiredKeys: [] },
);
/** The real client as our proxy saw it: never inside the trusted 10.0.0.0/8. */
const realClient = ipText.filter((ip) => {
  const address = parseIp(ip);
  return address !== undefined && !formatIp(address).startsWith('10.');
});
const scheme = fc.constantFrom('http', 'https');
const proxyHost = fc.constantFrom('www.shop.com', 'shop.example.com:8443');

describe('property: a client behind one trusted proxy cannot choose its IP, scheme or host', () => {
  // Pinning the other kind than the proxy writes is a misconfiguration that trusts client headers: not tested here.
  it.each<ProxyHeaders>(['auto', 'forwarded'])('behind an HAProxy-style proxy (Forwarded appended), proxyHeaders %s', (mode) => {
    const cfg = config({ trustProxy: LB, proxyHeaders: mode });
    fc.assert(
      fc.property(clientHeaders, realClient, scheme, proxyHost, (client, real, proto, host) => {
        const element = `for="${real.includes(':') ? `[${real}]` : real}";proto=${proto};host=${host}`;
        const headers = { ...client, forwarded: client.forwarded === undefined ? element : `${client.forwarded}, ${element}` };
        const result = requestFacts(context({ url: URL_AS_RECEIVED, remoteAddress: PEER, headers }), cfg);
        const expectedIp = formatIp(parseIp(real)!);
        expect([expectedIp, PEER]).toContain(result.ip);
        expect([`${proto}://${host}/a`, `http://${host}/a`, `${proto}://shop.example.com/a`, CONNECTION_PAGE]).toContain(result.pageUrl);
        if (mode === 'forwarded' && !(client.forwarded ?? '').includes('"')) {
          // Pinned to the kind the proxy writes, and no open quote from the client: exact.
          expect([result.ip, result.pageUrl]).toEqual([expectedIp, `${proto}://${host}/a`]);
        }
        if (mode === 'auto' && client['x-forwarded-for'] === undefined && !(client.forwarded ?? '').includes('"')) {
          expect([result.ip, result.pageUrl]).toEqual([expectedIp, `${proto}://${host}/a`]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it.each<ProxyHeaders>(['auto', 'x-forwarded'])('behind an nginx-style proxy (X-Forwarded-For appended, -Proto/-Host set), proxyHeaders %s', (mode) => {
    const cfg = config({ trustProxy: LB, proxyHeaders: mode });
    fc.assert(
      fc.property(clientHeaders, realClient, scheme, proxyHost, (client, real, proto, host) => {
        const xff = client['x-forwarded-for'] === undefined ? real : `${client['x-forwarded-for']}, ${real}`;
        const headers = { ...client, 'x-forwarded-for': xff, 'x-forwarded-proto': proto, 'x-forwarded-host': host };
        const result = requestFacts(context({ url: URL_AS_RECEIVED, remoteAddress: PEER, headers }), cfg);
        const expectedIp = formatIp(parseIp(real)!);
        expect([expectedIp, PEER]).toContain(result.ip);
        expect([`${proto}://${host}/a`, `http://${host}/a`, `${proto}://shop.example.com/a`, CONNECTION_PAGE]).toContain(result.pageUrl);
        if (mode === 'x-forwarded') expect([result.ip, result.pageUrl]).toEqual([expectedIp, `${proto}://${host}/a`]);
        if (mode === 'auto' && client.forwarded === undefined) expect([result.ip, result.pageUrl]).toEqual([expectedIp, `${proto}://${host}/a`]);
      }),
      { numRuns: 300 },
    );
  });
});
