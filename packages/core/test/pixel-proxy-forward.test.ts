import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createPixelProxy, type PixelProxyEvent, type PixelProxyOptions } from '../src/pixel/index.js';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import { CHROME_UA, PIXEL_QUERY, TRACK_ID, lineParams, pixelRequest } from './pixel-helpers.js';

let collector: Collector;

beforeAll(async () => {
  collector = await startCollector();
});
afterAll(async () => {
  await collector.close();
});
afterEach(() => {
  collector.setFaults({});
  collector.clear();
});

/** Records what our code hands to `fetch`: the upstream URL and every header. */
function recordingFetch(): { fetch: typeof fetch; calls: Array<{ url: string; headers: Record<string, string> }> } {
  const calls: Array<{ url: string; headers: Record<string, string> }> = [];
  const recording = ((input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), headers: Object.fromEntries(new Headers(init?.headers).entries()) });
    return fetch(input, init);
  }) as typeof fetch;
  return { fetch: recording, calls };
}

function forwardProxy(options: Partial<PixelProxyOptions> = {}) {
  const events: PixelProxyEvent[] = [];
  const memory = createMemoryTransport();
  const fallback = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, transport: memory });
  const proxy = createPixelProxy({
    trackId: TRACK_ID,
    trackDomain: collector.url,
    mode: 'forward',
    mountPath: '/mapp/pixel',
    fallback,
    onPixelEvent: (event) => events.push(event),
    ...options,
  });
  return { proxy, events, memory };
}

describe('pixel proxy, forward mode', () => {
  it('sends the hit to Mapp at once and relays its answer', async () => {
    const { proxy, events } = forwardProxy();
    const response = await proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}&X-WT-IP=6.6.6.6`), { remoteAddress: '203.0.113.9' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect((await response.arrayBuffer()).byteLength).toBe(43);
    const [hit] = collector.hits();
    expect(hit?.via).toBe('wt');
    expect(hit?.trackId).toBe(TRACK_ID);
    expect(hit?.params['X-WT-IP']).toBe('203.0.113.9');
    expect(hit?.params['X-WT-UA']).toBe(CHROME_UA);
    expect(hit?.p.slice(0, 4)).toEqual(['600', 'shop.example.com/products/shoes', '1', '1920x1080']);
    expect(hit?.raw.endsWith('&eor=1')).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ type: 'forwarded', status: 200, lines: 1 }));
  });

  it('posts beacon lines to the batch endpoint', async () => {
    const { proxy } = forwardProxy();
    const response = await proxy(
      pixelRequest(`/mapp/pixel/${TRACK_ID}/batch`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '?p=600,one\n?p=600,two&ct=go' }),
      { remoteAddress: '203.0.113.9' },
    );
    expect(response.status).toBe(200);
    const hits = collector.hits();
    expect(hits.map((hit) => [hit.via, hit.p[1], hit.params['X-WT-IP']])).toEqual([
      ['batch', 'one', '203.0.113.9'],
      ['batch', 'two', '203.0.113.9'],
    ]);
  });

  it('relays a non-retryable status such as 404', async () => {
    collector.setFaults({ status: 404 });
    const { proxy, memory } = forwardProxy();
    const response = await proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`));
    expect(response.status).toBe(404);
    expect(memory.hits).toHaveLength(0);
  });

  it.each([
    ['slow', { latencyMs: 10_000 }, 'timeout'],
    ['down', { downForMs: 60_000 }, 'network'],
    ['failing', { status: 503 }, 'status'],
  ] as const)('answers the GIF when Mapp is %s and hands the line to the fallback', async (_name, faults, reason) => {
    collector.setFaults(faults);
    const { proxy, memory, events } = forwardProxy({ forwardTimeout: 200 });
    const response = await proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`), { remoteAddress: '203.0.113.9' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    // The browser got its answer before Mapp stored anything.
    expect(collector.hits()).toHaveLength(0);
    const [hit] = await memory.waitForHits(1);
    expect(lineParams(hit?.line ?? '').params.get('X-WT-IP')).toBe('203.0.113.9');
    expect(events).toContainEqual(expect.objectContaining({ type: 'fallback', reason, lines: 1 }));
  });

  it('drops the line when the fallback is turned off, and says so', async () => {
    collector.setFaults({ downForMs: 60_000 });
    const { proxy, events } = forwardProxy({ fallback: false });
    const response = await proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`));
    expect(response.status).toBe(200);
    expect(events).toContainEqual(expect.objectContaining({ type: 'fallback', reason: 'network' }));
  });

  it('sends Mapp only its own cookies and no request header of the browser', async () => {
    const recording = recordingFetch();
    const { proxy } = forwardProxy({ fetch: recording.fetch });
    await proxy(
      pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`, {
        headers: {
          cookie: `connect.sid=s%3Asecret; session=abc; wtstp_eid=2157840760747614879; wteid_${TRACK_ID}=4138210064900146323; wteid_999999999999999=1`,
          authorization: 'Bearer top-secret',
          'x-api-key': 'key',
          'x-wt-ip': '6.6.6.6',
          'x-forwarded-for': '6.6.6.6',
        },
      }),
    );
    expect(recording.calls).toHaveLength(1);
    expect(recording.calls[0]?.headers).toEqual({ cookie: `wtstp_eid=2157840760747614879; wteid_${TRACK_ID}=4138210064900146323` });
    expect(new URL(recording.calls[0]?.url ?? '').origin).toBe(collector.url);
  });

  it('forwards no cookie for anonymous visitors', async () => {
    const recording = recordingFetch();
    const { proxy } = forwardProxy({ fetch: recording.fetch });
    await proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`, { headers: { cookie: `miCookieOptOut=1; wteid_${TRACK_ID}=4138210064900146323` } }));
    expect(recording.calls[0]?.headers).toEqual({});
    expect(collector.hits()[0]?.params.nc).toBe('1');
  });
});

describe('Set-Cookie from Mapp', () => {
  let upstream: Server;
  let origin: string;

  beforeAll(async () => {
    // A Mapp-like tracker in third-party-cookie mode: sets its cookies and one foreign cookie.
    upstream = createServer((_req, res) => {
      res.setHeader('Set-Cookie', [
        `wteid_${TRACK_ID}=4138210064900146323; Domain=.wt-eu02.net; Path=/; Max-Age=15552000; Secure; SameSite=None`,
        'TRACKER_LB=node7; Domain=.wt-eu02.net; Path=/',
      ]);
      res.setHeader('Content-Type', 'image/gif');
      res.setHeader('X-Internal', 'upstream-secret');
      res.end(Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64'));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  it('relays only Mapp cookies, scoped to the site, and no other upstream header', async () => {
    const proxy = createPixelProxy({ trackId: TRACK_ID, trackDomain: origin, mode: 'forward', fallback: false, cookie: { domain: 'shop.example.com' } });
    const response = await proxy(pixelRequest(`/?${PIXEL_QUERY}`));
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([
      `wteid_${TRACK_ID}=4138210064900146323; Path=/; Max-Age=15552000; Secure; SameSite=None; Domain=shop.example.com`,
    ]);
    expect(response.headers.get('x-internal')).toBeNull();
    expect(response.headers.get('content-type')).toBe('image/gif');
  });

  it('relays no cookie at all for anonymous visitors', async () => {
    const proxy = createPixelProxy({ trackId: TRACK_ID, trackDomain: origin, mode: 'forward', fallback: false });
    const response = await proxy(pixelRequest(`/?${PIXEL_QUERY}`, { headers: { cookie: 'miCookieOptOut=1' } }));
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});
