import { Hono } from 'hono';
import { getRequestListener } from '@hono/node-server';
import { defineExampleShopSuite, listen, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop, shopErrorHandler } from '../../../examples/hono/src/app.js';
import { parseTrustProxy, readSettings } from '../../../examples/shop-kit/settings.js';

defineExampleShopSuite({
  name: 'examples/hono',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    return serveShop(getRequestListener(app.fetch), tracker);
  },
  readSettings,
  parseTrustProxy,
  serveThrowingRoute() {
    const app = new Hono();
    app.get('/boom', () => {
      throw new Error(`boom in ${__filename}`);
    });
    app.onError(shopErrorHandler);
    return listen(getRequestListener(app.fetch));
  },
});
