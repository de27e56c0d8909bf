import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startCollector, validateLine, type Collector } from '@mapp-s2s/collector';
import { createPixelProxy, type PixelProxyEvent, type PixelProxyMode } from '../src/pixel/index.js';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport, type MemoryTransport } from '../src/transport/memory.js';
import { PIXEL_QUERY, TRACK_ID, longPageParameters, pixelRequest } from './pixel-helpers.js';

let collector: Collector;
beforeAll(async () => {
  collector = await startCollector();
});
afterAll(async () => {
  await collector.close();
});
beforeEach(() => {
  collector.clear();
});

interface Attack {
  name: string;
  method?: string;
  target: string;
  /** The request target as the framework received it, before WHATWG URL normalisation. */
  rawTarget?: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
}

const attacks: Attack[] = [
  { name: 'an unknown track id', target: `/mapp/pixel/999999999999999/wt?${PIXEL_QUERY}`, status: 404 },
  { name: 'a configured id next to an unknown one', target: `/mapp/pixel/${TRACK_ID},999999999999999/wt?${PIXEL_QUERY}`, status: 404 },
  { name: 'a short id', target: `/mapp/pixel/1/wt?${PIXEL_QUERY}`, status: 404 },
  { name: 'another Mapp endpoint (opt-out)', target: `/mapp/pixel/${TRACK_ID}/optout?duration=1`, status: 404 },
  { name: 'another Mapp endpoint (cookie control)', target: `/mapp/pixel/${TRACK_ID}/cc?a=s&c=wteid_${TRACK_ID}&v=1`, status: 404 },
  { name: 'dot-dot traversal', target: '/mapp/pixel/x', rawTarget: `/mapp/pixel/../../admin?${PIXEL_QUERY}`, status: 400 },
  { name: 'traversal back into the mount', target: '/mapp/pixel/x', rawTarget: `/mapp/pixel/x/../${TRACK_ID}/wt?${PIXEL_QUERY}`, status: 400 },
  { name: 'encoded traversal', target: '/mapp/pixel/x', rawTarget: `/mapp/pixel/%2e%2e/%2e%2e/${TRACK_ID}/wt?${PIXEL_QUERY}`, status: 400 },
  { name: 'double-encoded traversal', target: '/mapp/pixel/x', rawTarget: `/mapp/pixel/%252e%252e/${TRACK_ID}/wt?${PIXEL_QUERY}`, status: 400 },
  { name: 'an encoded slash', target: '/mapp/pixel/x', rawTarget: `/mapp/pixel/${TRACK_ID}%2Fwt?${PIXEL_QUERY}`, status: 400 },
  { name: 'backslashes', target: '/mapp/pixel/x', rawTarget: `/mapp/pixel/..\\..\\${TRACK_ID}\\wt?${PIXEL_QUERY}`, status: 400 },
  { name: 'an absolute URL as target', target: '/mapp/pixel/x', rawTarget: `http://evil.example/${TRACK_ID}/wt?${PIXEL_QUERY}`, status: 404 },
  { name: 'an absolute URL inside the mount', target: '/mapp/pixel/x', rawTarget: `/mapp/pixel/http://evil.example/${TRACK_ID}/wt?${PIXEL_QUERY}`, status: 400 },
  { name: 'a protocol-relative path', target: '/mapp/pixel/x', rawTarget: `/mapp/pixel//evil.example/wt?${PIXEL_QUERY}`, status: 400 },
  { name: 'a path outside the mount', target: `/admin?${PIXEL_QUERY}`, status: 404 },
  { name: 'a query without p', target: '/mapp/pixel?url=http://evil.example/', status: 400 },
  { name: 'an empty query', target: '/mapp/pixel', status: 400 },
  { name: 'a body over the cap', method: 'POST', target: `/mapp/pixel/${TRACK_ID}/batch`, body: `?p=600,x&cp1=${'b'.repeat(70_000)}`, status: 413 },
  { name: 'too many beacon lines', method: 'POST', target: `/mapp/pixel/${TRACK_ID}/batch`, body: '?p=600,x\n'.repeat(101), status: 413 },
  { name: 'a beacon line in another form', method: 'POST', target: `/mapp/pixel/${TRACK_ID}/batch`, body: '?p=600,x\nhttp://evil.example/x', status: 400 },
  { name: 'a form post', method: 'POST', target: `/mapp/pixel/${TRACK_ID}/batch`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '?p=600,x', status: 415 },
  { name: 'a GET to the batch endpoint', target: `/mapp/pixel/${TRACK_ID}/batch?${PIXEL_QUERY}`, status: 405 },
  ...['PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((method) => ({ name: `method ${method}`, method, target: `/mapp/pixel/${TRACK_ID}/wt?${PIXEL_QUERY}`, status: 405 })),
];

function setup(mode: PixelProxyMode): { proxy: ReturnType<typeof createPixelProxy>; memory: MemoryTransport; events: PixelProxyEvent[] } {
  const memory = createMemoryTransport();
  const events: PixelProxyEvent[] = [];
  const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, transport: memory });
  const proxy = createPixelProxy({
    trackId: TRACK_ID,
    trackDomain: collector.url,
    mode,
    tracker,
    mountPath: '/mapp/pixel',
    onPixelEvent: (event) => events.push(event),
  });
  return { proxy, memory, events };
}

describe.each<PixelProxyMode>(['forward', 'queue'])('pixel proxy security (%s mode)', (mode) => {
  it.each(attacks.map((attack) => [attack.name, attack] as const))('refuses %s and sends nothing', async (_name, attack) => {
    const { proxy, memory, events } = setup(mode);
    const init: { method?: string; headers?: Record<string, string>; body?: string } = { method: attack.method ?? 'GET' };
    if (attack.headers !== undefined) init.headers = attack.headers;
    if (attack.body !== undefined) init.body = attack.body;
    const response = await proxy(pixelRequest(attack.target, init), { rawTarget: attack.rawTarget, remoteAddress: '203.0.113.9' });
    expect(response.status).toBe(attack.status);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(events).toContainEqual(expect.objectContaining({ type: 'rejected', status: attack.status }));
    expect(collector.requestCount()).toBe(0);
    expect(memory.hits).toHaveLength(0);
  });

  it('passes a 10 KB hit on whole: the 7 KB limit binds only batches and files', async () => {
    const { proxy, memory, events } = setup(mode);
    const query = `p=600,long&${longPageParameters(10 * 1024)}`;
    const response = await proxy(pixelRequest(`/mapp/pixel?${query}`), { remoteAddress: '203.0.113.9' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    const line = mode === 'forward' ? (await collector.waitForHits(1))[0]?.raw : (await memory.waitForHits(1))[0]?.line;
    expect(line?.startsWith(`wt?${query}&X-WT-IP=203.0.113.9&`)).toBe(true);
    expect(events.filter((event) => event.type === 'skipped')).toEqual([]);
  });

  it('answers a query over the pixel’s 30,720 characters as the pixel expects, reports it and sends nothing', async () => {
    const { proxy, memory, events } = setup(mode);
    const response = await proxy(pixelRequest(`/mapp/pixel?p=600,x&cp1=${'a'.repeat(30_721)}`), { remoteAddress: '203.0.113.9' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(events).toEqual([{ type: 'skipped', reason: 'too-large', lines: 1 }]);
    expect(collector.requestCount()).toBe(0);
    expect(memory.hits).toHaveLength(0);
  });

  it('drops keys that only decode to something like ours, so the server’s X-WT-IP is the only one', async () => {
    const { proxy, memory, events } = setup(mode);
    const hostile = ['X%2525252DWT-IP=6.6.6.1', 'X-WT-IP%00=6.6.6.2', 'X-WT-IP%E2%80%8B=6.6.6.3', 'X-WT-%C4%B0P=6.6.6.4', 'X-WT-IP=6.6.6.5'];
    await proxy(pixelRequest(`/mapp/pixel?p=600,keys&cp1=a&${hostile.join('&')}&X-WT-EID=2157840760747614879&eor=1`), { remoteAddress: '203.0.113.9' });
    const line = mode === 'forward' ? (await collector.waitForHits(1))[0]?.raw : (await memory.waitForHits(1))[0]?.line;
    const keys = (line ?? '').slice(3).split('&').map((pair) => pair.split('=', 1)[0] ?? '');
    expect(keys.filter((key) => /ip/i.test(key))).toEqual(['X-WT-IP']);
    expect(keys).toEqual(['p', 'cp1', 'X-WT-EID', 'X-WT-IP', 'X-WT-UA', 'X-WT-RQ', 'eor']);
    expect(line).not.toMatch(/6\.6\.6/);
    expect(events).toContainEqual({ type: 'malformed-removed', pairs: 3 });
    // Four times encoded, it still decodes to X-WT-IP: a spoof, removed like the plain one.
    expect(events).toContainEqual({ type: 'spoof-removed', pairs: 2 });
  });

  it('removes malformed pairs and reports them', async () => {
    const { proxy, memory, events } = setup(mode);
    const p = 'p=600,probe,1,1920x1080,24,1,1730181123123,0,1280x720,0';
    await proxy(pixelRequest(`/mapp/pixel?${p}&%HK&cp1=%FF&cp2=ok`), { remoteAddress: '203.0.113.9' });
    expect(events).toContainEqual({ type: 'malformed-removed', pairs: 2 });
    const line = mode === 'forward' ? (await collector.waitForHits(1))[0]?.raw : (await memory.waitForHits(1))[0]?.line;
    expect(line).toMatch(new RegExp(`^wt\\?${p}&cp2=ok&X-WT-IP=203\\.0\\.113\\.9&`));
    // What reaches Mapp passes the local endpoint's protocol validation.
    expect(line === undefined ? ['no line'] : validateLine(line).problems).toEqual([]);
  });

  it('always sends to the configured track domain, whatever the Host or query says', async () => {
    const { proxy, memory } = setup(mode);
    const request = new Request(`https://evil.example/mapp/pixel?p=600,x&u=http://evil.example/&at=@evil.example`, {
      headers: { host: 'evil.example', 'user-agent': 'Mozilla/5.0 Chrome/131' },
    });
    const response = await proxy(request, { remoteAddress: '203.0.113.9' });
    expect(response.status).toBe(200);
    if (mode === 'forward') {
      const [hit] = collector.hits();
      expect(hit?.trackId).toBe(TRACK_ID);
      expect(hit?.raw).toMatch(/^wt\?p=600,x&u=http:\/\/evil\.example\/&at=@evil\.example&X-WT-IP=203\.0\.113\.9&/);
    } else {
      const [hit] = await memory.waitForHits(1);
      expect(hit?.line).toMatch(/^wt\?p=600,x&u=http:\/\/evil\.example\/&at=@evil\.example&X-WT-IP=203\.0\.113\.9&/);
    }
  });
});

describe('pixel proxy construction', () => {
  it.each([
    [{ mode: 'mirror' }, 'mode'],
    [{ droppedRequests: 4 }, 'droppedRequests'],
    [{ forwardTimeout: -1 }, 'forwardTimeout'],
    [{ maxBodyBytes: 0 }, 'maxBodyBytes'],
    [{ maxQueryLength: 30_721 }, 'maxQueryLength'],
    [{ mountPath: 'mapp/pixel/' }, 'mountPath'],
    [{ blacklist: [42] }, 'blacklist'],
    [{ forwardTimout: 100 }, 'forwardTimout'],
  ])('rejects %j naming the option', (bad, option) => {
    expect(() => createPixelProxy({ trackId: TRACK_ID, trackDomain: collector.url, ...(bad as object) })).toThrow(
      expect.objectContaining({ option }) as unknown as Error,
    );
  });

  it('needs a track id and domain like any tracker', () => {
    expect(() => createPixelProxy({})).toThrow(expect.objectContaining({ code: 'MISSING_OPTION' }) as unknown as Error);
  });
});
