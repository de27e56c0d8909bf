import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createPixelProxy, type PixelProxyEvent, type PixelProxyOptions } from '../src/pixel/index.js';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import { CHROME_UA, PIXEL_QUERY, TRACK_ID, lineParams, longPageParameters, pixelRequest } from './pixel-helpers.js';

const GIF_BASE64 = 'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';

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
function recordingFetch(): { fetch: typeof fetch; calls: Array<{ method: string; url: string; headers: Record<string, string> }> } {
  const calls: Array<{ method: string; url: string; headers: Record<string, string> }> = [];
  const recording = ((input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ method: init?.method ?? 'GET', url: String(input), headers: Object.fromEntries(new Headers(init?.headers).entries()) });
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
  it('sends the hit to Mapp at once and answers with its own GIF', async () => {
    const { proxy, events } = forwardProxy();
    const response = await proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}&X-WT-IP=6.6.6.6`), { remoteAddress: '203.0.113.9' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(Buffer.from(await response.arrayBuffer()).toString('base64')).toBe(GIF_BASE64);
    const [hit] = collector.hits();
    expect(hit?.via).toBe('wt');
    expect(hit?.trackId).toBe(TRACK_ID);
    expect(hit?.params['X-WT-IP']).toBe('203.0.113.9');
    expect(hit?.params['X-WT-UA']).toBe(CHROME_UA);
    expect(hit?.p.slice(0, 4)).toEqual(['600', 'shop.example.com/products/shoes', '1', '1920x1080']);
    expect(hit?.raw.endsWith('&eor=1')).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ type: 'forwarded', status: 200, lines: 1 }));
  });

  it('forwards a 10 KB hit as one GET, byte for byte apart from the server’s X-WT values', async () => {
    const recording = recordingFetch();
    const { proxy, events } = forwardProxy({ fetch: recording.fetch });
    const query = `${PIXEL_QUERY.replace(/&eor=1$/, '')}&${longPageParameters(10 * 1024)}&eor=1`;
    const response = await proxy(pixelRequest(`/mapp/pixel?${query}`), { remoteAddress: '203.0.113.9' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(recording.calls.map((call) => [call.method, call.url.length > 10 * 1024])).toEqual([['GET', true]]);
    expect(collector.requestCount()).toBe(1);
    const [hit] = collector.hits();
    expect(hit?.via).toBe('wt');
    const raw = hit?.raw ?? '';
    // Without the pairs the server owns, the line is the browser's query, unchanged.
    const ours = raw.split('&').filter((pair) => /^X-WT-/.test(pair));
    expect(ours.map((pair) => pair.split('=', 1)[0])).toEqual(['X-WT-IP', 'X-WT-UA', 'X-WT-RQ']);
    expect(raw.split('&').filter((pair) => !/^X-WT-/.test(pair)).join('&')).toBe(`wt?${query}`);
    expect(raw).toBe(`wt?${query.replace(/&eor=1$/, '')}&${ours.join('&')}&eor=1`);
    expect(hit?.params['X-WT-IP']).toBe('203.0.113.9');
    expect(hit?.params['X-WT-UA']).toBe(CHROME_UA);
    expect(events).toEqual([expect.objectContaining({ type: 'forwarded', status: 200, lines: 1 })]);
  });

  it('posts beacon lines to the batch endpoint and answers 204', async () => {
    const { proxy } = forwardProxy();
    const response = await proxy(
      pixelRequest(`/mapp/pixel/${TRACK_ID}/batch`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '?p=600,one\n?p=600,two&ct=go' }),
      { remoteAddress: '203.0.113.9' },
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('content-type')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toBe('');
    const hits = collector.hits();
    expect(hits.map((hit) => [hit.via, hit.p[1], hit.params['X-WT-IP']])).toEqual([
      ['batch', 'one', '203.0.113.9'],
      ['batch', 'two', '203.0.113.9'],
    ]);
  });

  it('answers its own GIF when Mapp answers a non-retryable 404, and reports that status', async () => {
    collector.setFaults({ status: 404 });
    const { proxy, memory, events } = forwardProxy();
    const response = await proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect((await response.arrayBuffer()).byteLength).toBe(43);
    expect(events).toContainEqual(expect.objectContaining({ type: 'forwarded', status: 404 }));
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

describe('what of Mapp’s answer reaches the browser', () => {
  let upstream: Server;
  let origin: string;
  /** What the fake Mapp answers next: a hijacked or plain-HTTP track domain could say anything. */
  let answer: { status: number; type: string; body: string; cookies: string[] };

  beforeAll(async () => {
    upstream = createServer((_req, res) => {
      res.statusCode = answer.status;
      res.setHeader('Set-Cookie', answer.cookies);
      res.setHeader('Content-Type', answer.type);
      res.setHeader('Cache-Control', 'public, max-age=31536000');
      res.setHeader('X-Internal', 'upstream-secret');
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  const mappCookie = `wteid_${TRACK_ID}=4138210064900146323; Domain=.wt-eu02.net; Path=/; Max-Age=15552000; Secure; SameSite=None`;

  it('relays only Mapp cookies, scoped to the site, and no other upstream header', async () => {
    answer = { status: 200, type: 'image/gif', body: Buffer.from(GIF_BASE64, 'base64').toString('latin1'), cookies: [mappCookie, 'TRACKER_LB=node7; Domain=.wt-eu02.net; Path=/'] };
    const proxy = createPixelProxy({ trackId: TRACK_ID, trackDomain: origin, mode: 'forward', fallback: false, cookie: { domain: 'shop.example.com' } });
    const response = await proxy(pixelRequest(`/?${PIXEL_QUERY}`));
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([
      `wteid_${TRACK_ID}=4138210064900146323; Path=/; Max-Age=15552000; Secure; SameSite=None; Domain=shop.example.com`,
    ]);
    expect(response.headers.get('x-internal')).toBeNull();
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate, max-age=0');
    expect(response.headers.get('content-type')).toBe('image/gif');
  });

  it.each([
    ['HTML with a script', 200, 'text/html; charset=utf-8', '<!doctype html><script>alert(document.cookie)</script>'],
    ['an SVG with a script', 200, 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ['no content type', 200, '', '<script>alert(1)</script>'],
    ['a redirect page', 302, 'text/html', '<a href="https://evil.example/">moved</a>'],
    ['a not-found page', 404, 'text/html', '<h1>unknown</h1><script>alert(1)</script>'],
  ])('answers its own GIF, never %s from the track domain', async (_name, status, type, body) => {
    answer = { status, type, body, cookies: [] };
    const proxy = createPixelProxy({ trackId: TRACK_ID, trackDomain: origin, mode: 'forward', fallback: false });
    const response = await proxy(pixelRequest(`/?${PIXEL_QUERY}`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(response.headers.get('content-length')).toBe('43');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(response.headers.get('location')).toBeNull();
    expect(Buffer.from(await response.arrayBuffer()).toString('base64')).toBe(GIF_BASE64);
  });

  it('answers a beacon with an empty 204 whatever Mapp sends', async () => {
    answer = { status: 200, type: 'text/html', body: '<script>alert(1)</script>', cookies: [] };
    const proxy = createPixelProxy({ trackId: TRACK_ID, trackDomain: origin, mode: 'forward', fallback: false });
    const response = await proxy(pixelRequest(`/${TRACK_ID}/batch`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `?${PIXEL_QUERY}` }));
    expect(response.status).toBe(204);
    expect(response.headers.get('content-type')).toBeNull();
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(await response.text()).toBe('');
  });

  it('rebuilds the attributes of a relayed cookie from an allowlist', async () => {
    answer = {
      status: 200,
      type: 'image/gif',
      body: '',
      cookies: [`wteid_${TRACK_ID}=4138210064900146323; Domain=.shop.example.com; Path=/; Partitioned; Priority=High; SameSite=Bogus; Max-Age=1e9; HttpOnly; X=1`],
    };
    const proxy = createPixelProxy({ trackId: TRACK_ID, trackDomain: origin, mode: 'forward', fallback: false });
    const response = await proxy(pixelRequest(`/?${PIXEL_QUERY}`));
    expect(response.headers.getSetCookie()).toEqual([`wteid_${TRACK_ID}=4138210064900146323; Path=/; HttpOnly`]);
  });

  it('relays no cookie at all for anonymous visitors', async () => {
    answer = { status: 200, type: 'image/gif', body: '', cookies: [mappCookie] };
    const proxy = createPixelProxy({ trackId: TRACK_ID, trackDomain: origin, mode: 'forward', fallback: false });
    const response = await proxy(pixelRequest(`/?${PIXEL_QUERY}`, { headers: { cookie: 'miCookieOptOut=1' } }));
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});
