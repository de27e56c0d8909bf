import { describe, expect, it } from '@jest/globals';
import express from 'express';
import express4 from 'express4';
import { createMemoryTransport } from '@mapp-s2s/core';
import { definePixelProxySuite, listen, PIXEL_QUERY, PIXEL_TRACK_ID, PIXEL_UA, rawRequest, useCollector, type PixelProxySuiteOptions } from '@mapp-s2s/adapter-tests';
import { mappPixelProxy } from '../src/pixel-proxy.js';

type ExpressFactory = typeof express;

/** The shop the pixel suite asks for, on one Express version. */
function startShop(factory: ExpressFactory): PixelProxySuiteOptions['startShop'] {
  return async (options) => {
    const app = factory();
    app.use((_req, res, next) => {
      res.cookie('site_session', 'abc');
      next();
    });
    const proxy = mappPixelProxy(options);
    app.use('/mapp/pixel', proxy);
    app.get('/admin', (_req, res) => {
      res.send('admin');
    });
    app.get('/mapp/pixelated', (_req, res) => {
      res.send('not the pixel');
    });
    const server = await listen(app);
    return { url: server.url, close: async () => (await proxy.tracker?.close(), await server.close()) };
  };
}

definePixelProxySuite({ name: 'Express 5', startShop: startShop(express) });
definePixelProxySuite({ name: 'Express 4', startShop: startShop(express4 as unknown as ExpressFactory) });

describe('mappPixelProxy on Express only', () => {
  const collector = useCollector();

  const get = (base: string, path: string) => rawRequest(base, 'GET', path, { 'user-agent': PIXEL_UA });

  it.each([
    ['Express 5', express],
    ['Express 4', express4 as unknown as ExpressFactory],
  ])('takes a body already read by a text body parser on %s', async (_name, factory) => {
    const app = factory();
    app.use(factory.text());
    const proxy = mappPixelProxy({ trackId: PIXEL_TRACK_ID, trackDomain: collector().url, transport: 'direct' });
    app.use('/mapp/pixel', proxy);
    const server = await listen(app);
    try {
      const answer = await rawRequest(server.url, 'POST', `/mapp/pixel/${PIXEL_TRACK_ID}/batch`, { 'user-agent': PIXEL_UA, 'content-type': 'text/plain' }, [Buffer.from('wt?p=600,parsed')]);
      expect(answer.status).toBe(204);
      const [hit] = await collector().waitForHits(1);
      expect(hit?.p[1]).toBe('parsed');
    } finally {
      await proxy.tracker?.close();
      await server.close();
    }
  });

  it('handles its mountPath when mounted without a path, and passes every other request on', async () => {
    const app = express();
    const proxy = mappPixelProxy({ trackId: PIXEL_TRACK_ID, trackDomain: collector().url, transport: 'direct', mountPath: '/mapp/pixel' });
    app.use(proxy);
    app.get('/mapp/pixelated', (_req, res) => {
      res.send('not the pixel');
    });
    const server = await listen(app);
    try {
      expect((await get(server.url, '/mapp/pixelated')).body.toString()).toBe('not the pixel');
      const answer = await get(server.url, `/mapp/pixel/${PIXEL_TRACK_ID}/wt?${PIXEL_QUERY}`);
      expect(answer.headers['content-type']).toBe('image/gif');
      expect((await collector().waitForHits(1))[0]?.p[1]).toBe('shop.example.com/home');
    } finally {
      await proxy.tracker?.close();
      await server.close();
    }
  });

  it('hands queued lines to an existing tracker', async () => {
    const memory = createMemoryTransport();
    const { createTracker } = await import('@mapp-s2s/core/node');
    const tracker = createTracker({ trackId: PIXEL_TRACK_ID, trackDomain: collector().url, transport: memory });
    const app = express();
    app.use('/mapp/pixel', mappPixelProxy({ trackId: PIXEL_TRACK_ID, trackDomain: collector().url, tracker }));
    const server = await listen(app);
    try {
      await get(server.url, `/mapp/pixel?${PIXEL_QUERY}`);
      const [hit] = await memory.waitForHits(1);
      expect(hit?.line.startsWith(`wt?${PIXEL_QUERY.replace('&eor=1', '')}&X-WT-IP=127.0.0.1&`)).toBe(true);
    } finally {
      await tracker.close();
      await server.close();
    }
  });
});
