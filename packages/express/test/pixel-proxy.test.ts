import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import express4 from 'express4';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createMemoryTransport } from '@mapp-s2s/core';
import type { PixelProxyEvent } from '@mapp-s2s/core';
import { mappPixelProxy, type ExpressPixelProxyOptions } from '../src/pixel-proxy.js';
import { listen } from './support.js';

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

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Sends a request exactly as written (no path normalisation), optionally with a chunked body. */
function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, chunks: Buffer[] = []): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers: { 'user-agent': UA, ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

type ExpressFactory = typeof express;

async function shop(factory: ExpressFactory, options: Partial<ExpressPixelProxyOptions> = {}, before?: (app: ReturnType<ExpressFactory>) => void) {
  const events: PixelProxyEvent[] = [];
  const app = factory();
  before?.(app);
  app.use((_req, res, next) => {
    res.cookie('site_session', 'abc');
    next();
  });
  const proxy = mappPixelProxy({
    trackId: TRACK_ID,
    trackDomain: collector.url,
    transport: 'direct',
    onPixelEvent: (event) => events.push(event),
    ...options,
  });
  app.use('/mapp/pixel', proxy);
  app.get('/admin', (_req, res) => {
    res.send('admin');
  });
  const server = await listen(app);
  return {
    ...server,
    events,
    async close() {
      await proxy.tracker?.close();
      await server.close();
    },
  };
}

describe.each([
  ['Express 5', express],
  ['Express 4', express4 as unknown as ExpressFactory],
])('mappPixelProxy on %s', (_name, factory) => {
  it('answers the GIF and queues the pixel hit with the client IP and UA', async () => {
    const app = await shop(factory, { trustProxy: 'loopback' });
    try {
      const answer = await raw(app.url, 'GET', `/mapp/pixel?${QUERY}&X-WT-IP=6.6.6.6&X-WT-UA=evil`, {
        'x-forwarded-for': '198.51.100.7',
        referer: 'https://shop.example.com/home',
      });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('image/gif');
      expect(answer.headers['content-length']).toBe('43');
      expect(answer.body.length).toBe(43);
      // Cookies set by earlier middleware survive.
      expect(answer.headers['set-cookie']).toEqual(['site_session=abc; Path=/']);
      const [hit] = await collector.waitForHits(1);
      expect(hit?.params['X-WT-IP']).toBe('198.51.100.7');
      expect(hit?.params['X-WT-UA']).toBe(UA);
      expect(hit?.params['X-WT-RQ']).toBe('https://shop.example.com/home');
      expect(hit?.raw).not.toMatch(/6\.6\.6\.6|evil/);
      expect(hit?.p[3]).toBe('1920x1080');
    } finally {
      await app.close();
    }
  });

  it('forwards in forward mode and relays Mapp’s answer', async () => {
    const app = await shop(factory, { mode: 'forward' });
    try {
      const answer = await raw(app.url, 'GET', `/mapp/pixel/${TRACK_ID}/wt?${QUERY}`);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('image/gif');
      expect(collector.hits()[0]?.params['X-WT-IP']).toBe('127.0.0.1');
    } finally {
      await app.close();
    }
  });

  it('reads beacon bodies, streamed in chunks', async () => {
    const app = await shop(factory);
    try {
      const answer = await raw(app.url, 'POST', `/mapp/pixel/${TRACK_ID}/batch`, { 'content-type': 'text/plain;charset=UTF-8' }, [
        Buffer.from('?p=600,one&ct=a\n'),
        Buffer.from('?p=600,two&ct=b'),
      ]);
      expect(answer.status).toBe(200);
      const hits = await collector.waitForHits(2);
      expect(hits.map((hit) => hit.p[1]).sort()).toEqual(['one', 'two']);
    } finally {
      await app.close();
    }
  });

  it('takes a body already read by a text body parser', async () => {
    const app = await shop(factory, {}, (inner) => inner.use(factory.text()));
    try {
      const answer = await raw(app.url, 'POST', `/mapp/pixel/${TRACK_ID}/batch`, { 'content-type': 'text/plain' }, [Buffer.from('wt?p=600,parsed')]);
      expect(answer.status).toBe(200);
      const [hit] = await collector.waitForHits(1);
      expect(hit?.p[1]).toBe('parsed');
    } finally {
      await app.close();
    }
  });

  it.each([
    ['dot-dot traversal', 'GET', `/mapp/pixel/../../admin?${QUERY}`, [] as Buffer[], 400],
    ['encoded traversal', 'GET', `/mapp/pixel/%2e%2e/%2e%2e/admin?${QUERY}`, [], 400],
    ['encoded backslashes', 'GET', `/mapp/pixel/..%5c..%5cadmin?${QUERY}`, [], 400],
    ['an unknown track id', 'GET', `/mapp/pixel/999999999999999/wt?${QUERY}`, [], 404],
    ['a query over maxQueryLength', 'GET', `/mapp/pixel?p=600,x&cp1=${'a'.repeat(12_000)}`, [], 414],
    ['PUT', 'PUT', `/mapp/pixel/${TRACK_ID}/wt?${QUERY}`, [], 405],
    ['a chunked body over the cap', 'POST', `/mapp/pixel/${TRACK_ID}/batch`, Array.from({ length: 40 }, () => Buffer.alloc(2048, 'a')), 413],
  ])('refuses %s and sends nothing', async (_name, method, path, chunks, status) => {
    // maxQueryLength lowered: Node itself answers 431 above its 16 KB header limit.
    const app = await shop(factory, { maxQueryLength: 10_000 });
    try {
      const headers: Record<string, string> = chunks.length > 0 ? { 'content-type': 'text/plain' } : {};
      const answer = await raw(app.url, method, path, headers, chunks);
      expect(answer.status).toBe(status);
      expect(collector.requestCount()).toBe(0);
      expect(app.events).toContainEqual(expect.objectContaining({ type: 'rejected', status }));
    } finally {
      await app.close();
    }
  });

  it('sets the visitor cookie in server-cookie mode', async () => {
    const app = await shop(factory, { serverCookie: true });
    try {
      const answer = await raw(app.url, 'GET', `/mapp/pixel?${QUERY}`);
      const cookies = answer.headers['set-cookie'] ?? [];
      expect(cookies[0]).toBe('site_session=abc; Path=/');
      expect(cookies[1]).toMatch(/^wtstp_eid=8\d{18}; Max-Age=15552000; Path=\/; SameSite=Lax$/);
      const [hit] = await collector.waitForHits(1);
      expect(`wtstp_eid=${hit?.params.eid ?? ''}`).toBe(String(cookies[1]).split(';')[0]);
    } finally {
      await app.close();
    }
  });
});

describe('mappPixelProxy mounted without a path', () => {
  it('handles its mountPath and passes every other request on', async () => {
    const app = express();
    const proxy = mappPixelProxy({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'direct', mountPath: '/mapp/pixel' });
    app.use(proxy);
    app.get('/mapp/pixelated', (_req, res) => {
      res.send('not the pixel');
    });
    const server = await listen(app);
    try {
      expect((await raw(server.url, 'GET', '/mapp/pixelated')).body.toString()).toBe('not the pixel');
      const answer = await raw(server.url, 'GET', `/mapp/pixel/${TRACK_ID}/wt?${QUERY}`);
      expect(answer.headers['content-type']).toBe('image/gif');
      expect((await collector.waitForHits(1))[0]?.p[1]).toBe('shop.example.com/home');
    } finally {
      await proxy.tracker?.close();
      await server.close();
    }
  });
});

describe('mappPixelProxy with an existing tracker', () => {
  it('hands queued lines to that tracker', async () => {
    const memory = createMemoryTransport();
    const { createTracker } = await import('@mapp-s2s/core/node');
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, transport: memory });
    const app = express();
    app.use('/mapp/pixel', mappPixelProxy({ trackId: TRACK_ID, trackDomain: collector.url, tracker }));
    const server = await listen(app);
    try {
      await raw(server.url, 'GET', `/mapp/pixel?${QUERY}`);
      const [hit] = await memory.waitForHits(1);
      expect(hit?.line.startsWith(`wt?${QUERY.replace('&eor=1', '')}&X-WT-IP=127.0.0.1&`)).toBe(true);
    } finally {
      await tracker.close();
      await server.close();
    }
  });
});
