import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { definePixelProxySuite, listen } from '@mapp-s2s/adapter-tests';
import { mappPixelProxy } from '../src/pixel-proxy.js';

definePixelProxySuite({
  name: 'Hono 4 on @hono/node-server',
  async startShop(options) {
    const app = new Hono();
    app.use(async (c, next) => {
      c.header('Set-Cookie', 'site_session=abc; Path=/', { append: true });
      await next();
    });
    const proxy = mappPixelProxy(options); // handles /mapp/pixel by default
    app.use(proxy);
    app.get('/admin', (c) => c.text('admin'));
    app.get('/mapp/pixelated', (c) => c.text('not the pixel'));
    const server = await listen(getRequestListener(app.fetch));
    return { url: server.url, close: async () => (await proxy.tracker?.close(), await server.close()) };
  },
});
