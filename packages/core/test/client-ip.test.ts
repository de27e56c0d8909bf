import { describe, expect, it } from '@jest/globals';
import { parseIp } from '../src/ip.js';
import { requestFacts } from '../src/request-facts.js';
import type { TrackerOptions } from '../src/types.js';
import { config, context } from './helpers.js';

function ipOf(options: TrackerOptions, remoteAddress: string | undefined, headers: Record<string, string> = {}): string | undefined {
  return requestFacts(context({ remoteAddress, headers }), config(options)).ip;
}

describe('client IP with trustProxy', () => {
  it.each<[string, TrackerOptions, string | undefined, Record<string, string>, string | undefined]>([
    ['default: the TCP peer, X-Forwarded-For ignored', {}, '203.0.113.9', { 'x-forwarded-for': '1.2.3.4' }, '203.0.113.9'],
    ['false: the TCP peer', { trustProxy: false }, '10.0.0.1', { 'x-forwarded-for': '1.2.3.4' }, '10.0.0.1'],
    ['true: the left-most address', { trustProxy: true }, '10.0.0.1', { 'x-forwarded-for': '1.2.3.4, 10.0.0.2' }, '1.2.3.4'],
    ['1 hop: the last X-Forwarded-For entry', { trustProxy: 1 }, '10.0.0.1', { 'x-forwarded-for': '6.6.6.6, 1.2.3.4' }, '1.2.3.4'],
    ['2 hops', { trustProxy: 2 }, '10.0.0.1', { 'x-forwarded-for': '6.6.6.6, 1.2.3.4, 10.0.0.2' }, '1.2.3.4'],
    ['0 hops = off', { trustProxy: 0 }, '10.0.0.1', { 'x-forwarded-for': '1.2.3.4' }, '10.0.0.1'],
    ['a CIDR list: right-most untrusted', { trustProxy: ['10.0.0.0/8'] }, '10.0.0.1', { 'x-forwarded-for': '6.6.6.6, 1.2.3.4, 10.9.9.9' }, '1.2.3.4'],
    ['loopback', { trustProxy: 'loopback' }, '127.0.0.1', { 'x-forwarded-for': '1.2.3.4' }, '1.2.3.4'],
    ['loopback IPv6', { trustProxy: ['loopback'] }, '::1', { 'x-forwarded-for': '1.2.3.4' }, '1.2.3.4'],
    ['uniquelocal', { trustProxy: ['uniquelocal'] }, '192.168.1.1', { 'x-forwarded-for': '1.2.3.4, 172.16.0.5' }, '1.2.3.4'],
    ['linklocal', { trustProxy: ['linklocal'] }, '169.254.1.1', { 'x-forwarded-for': '1.2.3.4' }, '1.2.3.4'],
    ['a comma-separated string', { trustProxy: '10.0.0.1, loopback' }, '127.0.0.1', { 'x-forwarded-for': '1.2.3.4, 10.0.0.1' }, '1.2.3.4'],
    ['an untrusted peer cannot forward', { trustProxy: ['10.0.0.0/8'] }, '6.6.6.6', { 'x-forwarded-for': '1.2.3.4' }, '6.6.6.6'],
    ['IPv4-mapped IPv6 peer normalised', {}, '::ffff:203.0.113.7', {}, '203.0.113.7'],
    ['IPv4-mapped peer matches an IPv4 CIDR', { trustProxy: ['10.0.0.0/8'] }, '::ffff:10.1.1.1', { 'x-forwarded-for': '1.2.3.4' }, '1.2.3.4'],
    ['IPv6 compressed', {}, '2001:0db8:0000:0000:0000:0000:0000:0001', {}, '2001:db8::1'],
    ['IPv6 with zone', {}, 'fe80::1%eth0', {}, 'fe80::1'],
    ['X-Forwarded-For junk after a percent sign stops the walk at the proxy', { trustProxy: 1 }, '10.0.0.1', { 'x-forwarded-for': '1.2.3.4%0d%0aX-Evil: 1' }, '10.0.0.1'],
    ['X-Forwarded-For with a port', { trustProxy: 1 }, '10.0.0.1', { 'x-forwarded-for': '1.2.3.4:5678' }, '1.2.3.4'],
    ['X-Forwarded-For with bracketed IPv6', { trustProxy: 1 }, '10.0.0.1', { 'x-forwarded-for': '[2001:db8::7]:443' }, '2001:db8::7'],
    ['RFC 7239 Forwarded', { trustProxy: 1 }, '10.0.0.1', { forwarded: 'for=6.6.6.6, for=1.2.3.4;proto=https' }, '1.2.3.4'],
    ['Forwarded with quoted IPv6 and port', { trustProxy: 1 }, '10.0.0.1', { forwarded: 'for="[2001:db8:cafe::17]:4711"' }, '2001:db8:cafe::17'],
    ['both kinds disagreeing: neither is believed (auto)', { trustProxy: 1 }, '10.0.0.1', { forwarded: 'for=6.6.6.6', 'x-forwarded-for': '1.2.3.4' }, '10.0.0.1'],
    ['both kinds, pinned to x-forwarded', { trustProxy: 1, proxyHeaders: 'x-forwarded' }, '10.0.0.1', { forwarded: 'for=6.6.6.6', 'x-forwarded-for': '1.2.3.4' }, '1.2.3.4'],
    ['both kinds, pinned to forwarded', { trustProxy: 1, proxyHeaders: 'forwarded' }, '10.0.0.1', { forwarded: 'for=6.6.6.6', 'x-forwarded-for': '1.2.3.4' }, '6.6.6.6'],
    ['unknown peer with trustProxy true', { trustProxy: true }, undefined, { 'x-forwarded-for': '1.2.3.4' }, '1.2.3.4'],
    ['unknown peer with a list: nothing', { trustProxy: ['10.0.0.0/8'] }, undefined, { 'x-forwarded-for': '1.2.3.4' }, undefined],
    ['no peer, no trust', {}, undefined, {}, undefined],
  ])('%s', (_label, options, remote, headers, expected) => {
    expect(ipOf(options, remote, headers)).toBe(expected);
  });
});

describe('spoofing and junk', () => {
  it.each<[string, TrackerOptions, string, Record<string, string>, string]>([
    ['junk entry stops at the last verified hop', { trustProxy: 1 }, '10.0.0.1', { 'x-forwarded-for': 'evil' }, '10.0.0.1'],
    ['script in the header', { trustProxy: true }, '10.0.0.1', { 'x-forwarded-for': '<script>, 1.2.3.4' }, '1.2.3.4'],
    ['shorthand IPv4 is not an address', { trustProxy: 1 }, '10.0.0.1', { 'x-forwarded-for': '127.1' }, '10.0.0.1'],
    ['hex IPv4 is not an address', { trustProxy: 1 }, '10.0.0.1', { 'x-forwarded-for': '0x7f000001' }, '10.0.0.1'],
    ['an obfuscated Forwarded node', { trustProxy: 1 }, '10.0.0.1', { forwarded: 'for=_hidden' }, '10.0.0.1'],
    ['Forwarded unknown', { trustProxy: 1 }, '10.0.0.1', { forwarded: 'for=unknown' }, '10.0.0.1'],
    ['an empty X-Forwarded-For item', { trustProxy: 1 }, '10.0.0.1', { 'x-forwarded-for': '1.2.3.4,' }, '10.0.0.1'],
    ['a client-added left entry behind one proxy', { trustProxy: 1 }, '10.0.0.1', { 'x-forwarded-for': '9.9.9.9, 1.2.3.4' }, '1.2.3.4'],
    ['vendor header ignored unless named', { trustProxy: true }, '10.0.0.1', { 'cf-connecting-ip': '9.9.9.9', 'x-forwarded-for': '1.2.3.4' }, '1.2.3.4'],
    ['vendor header ignored from an untrusted peer', { trustProxy: ['10.0.0.0/8'], clientIpHeaders: ['cf-connecting-ip'] }, '6.6.6.6', { 'cf-connecting-ip': '9.9.9.9' }, '6.6.6.6'],
    ['invalid vendor header falls back to X-Forwarded-For', { trustProxy: 1, clientIpHeaders: ['x-real-ip'] }, '10.0.0.1', { 'x-real-ip': 'nope', 'x-forwarded-for': '1.2.3.4' }, '1.2.3.4'],
  ])('%s', (_label, options, remote, headers, expected) => {
    expect(ipOf(options, remote, headers)).toBe(expected);
  });

  it('uses a named vendor header from a trusted peer', () => {
    expect(ipOf({ trustProxy: 1, clientIpHeaders: ['CF-Connecting-IP'] }, '10.0.0.1', { 'cf-connecting-ip': '9.9.9.9', 'x-forwarded-for': '1.2.3.4' })).toBe('9.9.9.9');
  });
});

describe('anonymizeIp and sendIp', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0'],
    ['2001:db8:abcd:12:1:2:3:4', '2001:db8:abcd::'],
    ['::ffff:198.51.100.23', '198.51.100.0'],
  ])('anonymizes %s to %s', (address, expected) => {
    expect(ipOf({ anonymizeIp: true }, address)).toBe(expected);
  });

  it('sends no IP with sendIp: false', () => {
    expect(ipOf({ sendIp: false }, '203.0.113.9')).toBeUndefined();
  });
});

describe('scheme and host behind proxies', () => {
  it.each<[string, TrackerOptions, string, Record<string, string>, string]>([
    ['untrusted proxy headers are ignored', {}, '10.0.0.1', { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.com' }, 'http://shop.example.com/a'],
    ['trusted X-Forwarded-Proto/Host apply', { trustProxy: 1 }, '10.0.0.1', { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'www.shop.com' }, 'https://www.shop.com/a'],
    ['the right-most value of a list without a matching chain, never the client-side first', { trustProxy: true }, '10.0.0.1', { 'x-forwarded-proto': 'https, http' }, 'http://shop.example.com/a'],
    ['Forwarded proto and host', { trustProxy: 1 }, '10.0.0.1', { forwarded: 'for=1.2.3.4;proto=https;host="www.shop.com"' }, 'https://www.shop.com/a'],
    ['junk X-Forwarded-Host is ignored', { trustProxy: 1 }, '10.0.0.1', { 'x-forwarded-host': 'a.com/evil?x' }, 'http://shop.example.com/a'],
    ['junk X-Forwarded-Proto is ignored', { trustProxy: 1 }, '10.0.0.1', { 'x-forwarded-proto': 'javascript' }, 'http://shop.example.com/a'],
  ])('%s', (_label, options, remote, headers, expected) => {
    const facts = requestFacts(context({ url: 'http://shop.example.com/a', remoteAddress: remote, headers }), config(options));
    expect(facts.pageUrl).toBe(expected);
  });
});

describe('parseIp', () => {
  it.each(['', ' ', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4x', 'fe80::1::2', 'a'.repeat(100), '1.2.3.4%eth0', '1.2.3.4%0d%0aX-Evil', '::1%0d%0aX-Evil', 'fe80::1%', 'fe80::1%eth 0'])('rejects %j', (input) => {
    expect(parseIp(input)).toBeUndefined();
  });
});
