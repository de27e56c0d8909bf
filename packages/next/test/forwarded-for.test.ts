import { describe, expect, it } from '@jest/globals';
import { createMemoryTransport, createTracker, fromWebRequest, type ProxyHeaders } from '@mapp-s2s/core';
import { createNextTracker } from '@mapp-s2s/next';
import { splitForwardedFor } from '../src/to-context.js';
import { NAVIGATION, TRACK_ID, params } from './helpers.js';

const PEER = '127.0.0.1';

/** The client IP the core itself reports for `X-Forwarded-For: chain` from `PEER` (what Express and Koa hand it). */
async function coreClientIp(chain: string): Promise<string | null> {
  const memory = createMemoryTransport();
  const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory, trustProxy: 'loopback' }, {});
  const context = fromWebRequest({ url: 'http://shop.example.com/', headers: new Headers({ ...NAVIGATION, 'x-forwarded-for': chain }) }, { remoteAddress: PEER });
  await tracker.track({ action: { name: 'probe' } }, { context });
  return params(memory.lines[0] ?? '').get('X-WT-IP');
}

/** The client IP the Next adapter reports when `next start` (or instrumentation.ts) appended `PEER` to `chain`. */
async function nextClientIp(chain: string): Promise<string | null> {
  const memory = createMemoryTransport();
  const mapp = createNextTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory, trustProxy: 'loopback', env: {} });
  await mapp.trackEvent({ action: { name: 'probe' } }, { headers: new Headers({ ...NAVIGATION, 'x-forwarded-for': `${chain}, ${PEER}` }) });
  return params(memory.lines[0] ?? '').get('X-WT-IP');
}

describe('X-Forwarded-For in the Next adapter', () => {
  it.each([
    // Empty entries are junk: the walk stops at the last verified hop (the trusted peer).
    ['203.0.113.13, , ', PEER],
    ['203.0.113.13,,', PEER],
    [' , 203.0.113.13', '203.0.113.13'],
    ['198.51.100.7, not-an-ip', PEER],
    ['not-an-ip, 198.51.100.7', '198.51.100.7'],
    ['198.51.100.7, 127.0.0.2', '198.51.100.7'],
    ['198.51.100.7', '198.51.100.7'],
  ])('reports what the core reports for %j from a trusted peer', async (chain, expected) => {
    const [fromCore, fromNext] = await Promise.all([coreClientIp(chain), nextClientIp(chain)]);
    expect(fromNext).toBe(fromCore);
    expect(fromNext).toBe(expected);
  });

  it('hands the core every hop before the peer unchanged, empty entries included', () => {
    expect(splitForwardedFor('203.0.113.13, , , 127.0.0.1')).toEqual({ peer: '127.0.0.1', rest: '203.0.113.13, , ' });
    expect(splitForwardedFor('127.0.0.1')).toEqual({ peer: '127.0.0.1', rest: undefined });
    expect(splitForwardedFor('203.0.113.13, ')).toEqual({ peer: undefined, rest: '203.0.113.13' });
    expect(splitForwardedFor(null)).toEqual({});
  });
});

describe('Forwarded (HAProxy-style proxy in front of next start) in the Next adapter', () => {
  /** IP and page URL the Next adapter reports for a page view that reached `next start` with `headers`. */
  async function reported(headers: Record<string, string>, proxyHeaders?: ProxyHeaders): Promise<[string | null, string | null]> {
    const memory = createMemoryTransport();
    const mapp = createNextTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory, trustProxy: 'loopback', proxyHeaders, env: {}, protocol: () => 'http' });
    await mapp.trackPageView({}, { url: '/shoes', headers: new Headers({ ...NAVIGATION, host: 'localhost:3000', ...headers }) });
    const line = params(memory.lines[0] ?? '');
    return [line.get('X-WT-IP'), line.get('pu')];
  }

  // What next start adds when the request has none: X-Forwarded-For (the socket: the proxy), -Proto, -Host.
  const NEXT_ADDED = { 'x-forwarded-for': PEER, 'x-forwarded-proto': 'http', 'x-forwarded-host': 'localhost:3000' };
  const PROXY_ELEMENT = 'for=203.0.113.5;proto=https;host=www.shop.com';

  it.each<[string, Record<string, string>, ProxyHeaders | undefined, [string, string]]>([
    ["the proxy's element, not what next start added", { ...NEXT_ADDED, forwarded: PROXY_ELEMENT }, undefined, ['203.0.113.5', 'https://www.shop.com/shoes']],
    ['a client-sent Forwarded element on the left is ignored', { ...NEXT_ADDED, forwarded: `for=198.51.100.66;host=evil.example, ${PROXY_ELEMENT}` }, undefined, ['203.0.113.5', 'https://www.shop.com/shoes']],
    [
      'a client-sent X-Forwarded-For with the peer appended (examples/next instrumentation): never the spoofed IP',
      { ...NEXT_ADDED, 'x-forwarded-for': `198.51.100.66, ${PEER}`, 'x-forwarded-host': 'evil.example', forwarded: PROXY_ELEMENT },
      undefined,
      [PEER, 'http://localhost:3000/shoes'],
    ],
    [
      'the same, pinned to forwarded',
      { ...NEXT_ADDED, 'x-forwarded-for': `198.51.100.66, ${PEER}`, 'x-forwarded-host': 'evil.example', forwarded: PROXY_ELEMENT },
      'forwarded',
      ['203.0.113.5', 'https://www.shop.com/shoes'],
    ],
  ])('%s', async (_label, headers, proxyHeaders, expected) => {
    expect(await reported(headers, proxyHeaders)).toEqual(expected);
  });
});
