import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import Koa from 'koa';
import Koa2 from 'koa2';
import Router from '@koa/router';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import type { PixelProxyEvent } from '@mapp-s2s/core';
import { mappPixelProxy, type KoaPixelProxyOptions } from '../src/pixel-proxy.js';
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

type KoaClass = typeof Koa;

async function shop(App: KoaClass, options: Partial<KoaPixelProxyOptions> = {}) {
  const events: PixelProxyEvent[] = [];
  const app = new App();
  app.use(async (ctx, next) => {
    ctx.cookies.set('site_session', 'abc', { httpOnly: false });
    await next();
  });
  const proxy = mappPixelProxy({
    trackId: TRACK_ID,
    trackDomain: collector.url,
    transport: 'direct',
    onPixelEvent: (event) => events.push(event),
    ...options,
  });
  app.use(proxy);
  const router = new Router();
  router.get('/admin', (ctx) => {
    ctx.body = 'admin';
  });
  router.get('/mapp/pixelated', (ctx) => {
    ctx.body = 'not the pixel';
  });
  app.use(router.routes());
  const server = await listen(app.callback());
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
  ['Koa 3', Koa],
  ['Koa 2', Koa2 as unknown as KoaClass],
])('mappPixelProxy on %s', (_name, App) => {
  it('answers the GIF and queues the pixel hit with the client IP and UA', async () => {
    const app = await shop(App, { trustProxy: 'loopback' });
    try {
      const answer = await raw(app.url, 'GET', `/mapp/pixel?${QUERY}&X-WT-IP=6.6.6.6&X-WT-UA=evil`, {
        'x-forwarded-for': '198.51.100.7',
        referer: 'https://shop.example.com/home',
      });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('image/gif');
      expect(answer.headers['content-length']).toBe('43');
      expect(answer.body.length).toBe(43);
      expect(answer.headers['set-cookie']).toEqual(['site_session=abc; path=/']);
      const [hit] = await collector.waitForHits(1);
      expect(hit?.params['X-WT-IP']).toBe('198.51.100.7');
      expect(hit?.params['X-WT-UA']).toBe(UA);
      expect(hit?.raw).not.toMatch(/6\.6\.6\.6|evil/);
    } finally {
      await app.close();
    }
  });

  it('answers HEAD with the GIF headers and no body', async () => {
    const app = await shop(App);
    try {
      const answer = await raw(app.url, 'HEAD', `/mapp/pixel?${QUERY}`);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-length']).toBe('43');
      expect(answer.body.length).toBe(0);
      expect(collector.requestCount()).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('forwards in forward mode and relays Mapp’s answer', async () => {
    const app = await shop(App, { mode: 'forward' });
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
    const app = await shop(App);
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

  it('passes every other path on, even one that only starts like the mount', async () => {
    const app = await shop(App);
    try {
      expect((await raw(app.url, 'GET', '/admin')).body.toString()).toBe('admin');
      expect((await raw(app.url, 'GET', '/mapp/pixelated')).body.toString()).toBe('not the pixel');
      expect(app.events).toEqual([]);
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
    ['DELETE', 'DELETE', `/mapp/pixel/${TRACK_ID}/wt?${QUERY}`, [], 405],
    ['a chunked body over the cap', 'POST', `/mapp/pixel/${TRACK_ID}/batch`, Array.from({ length: 40 }, () => Buffer.alloc(2048, 'a')), 413],
  ])('refuses %s and sends nothing', async (_name, method, path, chunks, status) => {
    const app = await shop(App, { maxQueryLength: 10_000 });
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
    const app = await shop(App, { serverCookie: true });
    try {
      const answer = await raw(app.url, 'GET', `/mapp/pixel?${QUERY}`);
      const cookies = answer.headers['set-cookie'] ?? [];
      expect(cookies[1]).toMatch(/^wtstp_eid=8\d{18}; Max-Age=15552000; Path=\/; SameSite=Lax$/);
      const [hit] = await collector.waitForHits(1);
      expect(`wtstp_eid=${hit?.params.eid ?? ''}`).toBe(String(cookies[1]).split(';')[0]);
    } finally {
      await app.close();
    }
  });
});
