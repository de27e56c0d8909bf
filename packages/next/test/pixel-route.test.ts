import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import type { PixelProxyEvent } from '@mapp-s2s/core';
import { createPixelRoute, rebuildPixelQuery } from '../src/pixel-route.js';

const TRACK_ID = '111111111111111';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const QUERY = 'p=600,shop.example.com%2Fhome,1,1920x1080,24,1,1730181123123,0,1280x720,0&la=de&eor=1';

let collector: Collector;
beforeAll(async () => {
  collector = await startCollector();
});
afterAll(async () => {
  await collector.close();
});
afterEach(() => {
  collector.clear();
});

/** A pixel request as `next start` hands it to a route: `localhost` URL, the peer appended to X-Forwarded-For. */
function nextRequest(target: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Request {
  const requestInit: RequestInit & { duplex?: 'half' } = {
    method: init.method ?? 'GET',
    headers: { host: 'shop.example.com', 'user-agent': UA, 'x-forwarded-for': '127.0.0.1', ...init.headers },
  };
  if (init.body !== undefined) requestInit.body = init.body;
  return new Request(`http://localhost:3000${target}`, requestInit);
}

/** What `next start` hands a route handler: the query decoded and form-encoded again (seen with Next 16). */
function nextSerialised(query: string): string {
  return new URLSearchParams(query).toString();
}

describe('rebuildPixelQuery', () => {
  it.each([
    ['a Smart Pixel hit', 'p=600,pixel-demo-server,1,1280x720,24,1,1795739946997,0,1280x720,0&pf=56&cs802=2048&cs801=38203f3e203e&fns=1&eid=2179573994673053115&one=1&cp1=server&pu=https%3A%2F%2F127.0.0.1%3A39397%2Fpixel%3Fmode%3Dserver&la=en'],
    ['a page name with a comma and a space', 'p=600,shop%2C%20sale,1,1920x1080,24,1,1730181123123,https%3A%2F%2Fwww.google.com%2F,1280x720,0&cg1=a%20b'],
    ['a referrer with commas', 'p=600,home,1,1920x1080,24,1,1730181123123,https%3A%2F%2Fa.example%2Fx%2Cy%2Cz,1280x720,0'],
    ['a double-encoded media code', 'p=600,home&mc=wt_mc%253Dnewsletter.nov&mca=c'],
    ['a plus sign in a value', 'p=600,home&is=c%2B%2B'],
  ])('restores %s from Next’s re-serialised query', (_name, query) => {
    expect(rebuildPixelQuery(new URLSearchParams(nextSerialised(query)))).toBe(query);
  });
});

describe('createPixelRoute', () => {
  it('sends the pixel’s own encoding to Mapp although Next re-serialised the query', async () => {
    const { GET } = createPixelRoute({ trackId: TRACK_ID, trackDomain: collector.url, mode: 'forward' });
    const query = 'p=600,shop%2C%20sale,1,1920x1080,24,1,1730181123123,0,1280x720,0&cg1=a%20b&eor=1';
    const response = await GET(nextRequest(`/mapp/pixel?${nextSerialised(query)}`));
    expect(response.status).toBe(200);
    const [hit] = collector.hits();
    expect(hit?.raw.startsWith(`wt?${query.replace('&eor=1', '')}&X-WT-IP=127.0.0.1&`)).toBe(true);
    expect(hit?.p[1]).toBe('shop, sale');
    expect(hit?.p).toHaveLength(10);
  });

  it('answers the GIF and queues the hit with the client IP from a trusted proxy', async () => {
    const { GET } = createPixelRoute({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'direct', trustProxy: 'loopback' });
    const response = await GET(nextRequest(`/mapp/pixel?${QUERY}&X-WT-IP=6.6.6.6`, { headers: { 'x-forwarded-for': '198.51.100.7, 127.0.0.1' } }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect((await response.arrayBuffer()).byteLength).toBe(43);
    const [hit] = await collector.waitForHits(1);
    expect(hit?.params['X-WT-IP']).toBe('198.51.100.7');
    expect(hit?.params['X-WT-UA']).toBe(UA);
    expect(hit?.raw).not.toContain('6.6.6.6');
  });

  it('uses the peer Next wrote into X-Forwarded-For when no proxy is trusted', async () => {
    const { GET } = createPixelRoute({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'direct' });
    await GET(nextRequest(`/mapp/pixel?${QUERY}`, { headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' } }));
    const [hit] = await collector.waitForHits(1);
    expect(hit?.params['X-WT-IP']).toBe('203.0.113.9');
  });

  it('accepts track-domain hits and beacons, and forwards in forward mode', async () => {
    const { GET, POST } = createPixelRoute({ trackId: TRACK_ID, trackDomain: collector.url, mode: 'forward' });
    const single = await GET(nextRequest(`/mapp/pixel/${TRACK_ID}/wt?${QUERY}`));
    expect(single.status).toBe(200);
    expect(single.headers.get('content-type')).toBe('image/gif');
    expect(single.headers.get('x-content-type-options')).toBe('nosniff');
    expect(single.headers.get('content-security-policy')).toBe("default-src 'none'");
    const beacon = await POST(nextRequest(`/mapp/pixel/${TRACK_ID}/batch`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '?p=600,beacon&ct=x' }));
    expect(beacon.status).toBe(204);
    expect(collector.hits().map((hit) => [hit.via, hit.p[1]])).toEqual([
      ['wt', 'shop.example.com/home'],
      ['batch', 'beacon'],
    ]);
  });

  it('forwards a 10 KB hit as one GET with the pixel’s own bytes', async () => {
    const { GET } = createPixelRoute({ trackId: TRACK_ID, trackDomain: collector.url, mode: 'forward' });
    const parameters = Array.from({ length: 40 }, (_, index) => `cp${index + 1}=${encodeURIComponent(`Größe ${index}, ${'Wanderschuh '.repeat(20)}`)}`).join('&');
    const query = `${QUERY.replace(/&eor=1$/, '')}&${parameters}&eor=1`;
    expect(query.length).toBeGreaterThan(10 * 1024);
    const response = await GET(nextRequest(`/mapp/pixel?${query}`));
    expect(response.status).toBe(200);
    expect(collector.requestCount()).toBe(1);
    const [hit] = collector.hits();
    expect(hit?.via).toBe('wt');
    expect(hit?.raw.split('&').filter((pair) => !pair.startsWith('X-WT-')).join('&')).toBe(`wt?${query}`);
  });

  it('sets the visitor cookie Secure when the site is served over HTTPS behind a trusted proxy', async () => {
    const { GET } = createPixelRoute({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'direct', serverCookie: true, trustProxy: 'loopback' });
    const response = await GET(nextRequest(`/mapp/pixel?${QUERY}`, { headers: { 'x-forwarded-proto': 'https' } }));
    expect(response.headers.get('set-cookie')).toMatch(/^wtstp_eid=8\d{18}; Max-Age=15552000; Path=\/; Secure; SameSite=Lax$/);
    // Wait for the queued send, so it cannot land in the next test's collector.
    expect((await collector.waitForHits(1))[0]?.params.eid).toMatch(/^8\d{18}$/);
  });

  it('lets only a trusted proxy say https when the protocol option pins the connection scheme', async () => {
    const options = { trackId: TRACK_ID, trackDomain: collector.url, transport: 'direct' as const, serverCookie: true, protocol: () => 'http' as const };
    // Next built request.url from the client's X-Forwarded-Proto: https://localhost:3000/...
    const spoofed = new Request(`https://localhost:3000/mapp/pixel?${QUERY}`, { headers: { host: 'shop.example.com', 'user-agent': UA, 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } });
    const untrusted = await createPixelRoute(options).GET(spoofed.clone());
    const trusted = await createPixelRoute({ ...options, trustProxy: true }).GET(spoofed.clone());
    expect(untrusted.headers.get('set-cookie')).not.toContain('Secure');
    expect(trusted.headers.get('set-cookie')).toContain('; Secure');
    expect(await collector.waitForHits(2)).toHaveLength(2);
  });

  it.each([
    ['an unknown track id', `/mapp/pixel/999999999999999/wt?${QUERY}`, 'GET', 404],
    ['a path outside the route', `/elsewhere?${QUERY}`, 'GET', 404],
    ['a query without p', '/mapp/pixel?x=1', 'GET', 400],
    ['a GET to the batch endpoint', `/mapp/pixel/${TRACK_ID}/batch?${QUERY}`, 'GET', 405],
  ])('refuses %s and sends nothing', async (_name, target, method, status) => {
    const events: PixelProxyEvent[] = [];
    const { GET } = createPixelRoute({ trackId: TRACK_ID, trackDomain: collector.url, mode: 'forward', onPixelEvent: (event) => events.push(event) });
    const response = await GET(nextRequest(target, { method }));
    expect(response.status).toBe(status);
    expect(collector.requestCount()).toBe(0);
    expect(events).toContainEqual(expect.objectContaining({ type: 'rejected', status }));
  });

  it('answers 500 naming the fix when the configuration is incomplete', async () => {
    const errors: string[] = [];
    const logger = { debug: () => undefined, warn: () => undefined, error: (message: string) => void errors.push(message) };
    const { GET } = createPixelRoute({ trackDomain: collector.url, logger });
    const response = await GET(nextRequest(`/mapp/pixel?${QUERY}`));
    expect(response.status).toBe(500);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(await response.text()).toContain('trackId');
    expect(errors).toHaveLength(1);
    expect(collector.requestCount()).toBe(0);
  });
});

describe('the Next example shop’s /mapp/pixel route', () => {
  const saved: Record<string, string | undefined> = {};
  const env = { MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: '', MAPP_TRANSPORT: 'direct', MAPP_TRUST_PROXY: 'loopback' };

  beforeAll(() => {
    env.MAPP_TRACK_DOMAIN = collector.url;
    for (const [name, value] of Object.entries(env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('exports GET, HEAD and POST that pass pixel hits through with the env settings', async () => {
    const route = await import('../../../examples/next/app/mapp/pixel/[[...path]]/route.js');
    const query = 'p=600,next-example,1,1920x1080,24,1,1730181123123,0,1280x720,0';
    const response = await route.GET(nextRequest(`/mapp/pixel?${query}`, { headers: { 'x-forwarded-for': '198.51.100.7, 127.0.0.1' } }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    const hit = (await collector.waitForHits(1)).find((candidate) => candidate.p[1] === 'next-example');
    expect(hit?.params['X-WT-IP']).toBe('198.51.100.7');
    expect(typeof route.HEAD).toBe('function');
    expect(typeof route.POST).toBe('function');
  });
});
