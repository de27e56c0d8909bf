import express from 'express';
import { defineExampleShopSuite, listen, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop, shopErrorHandler } from '../../../examples/express/src/app.js';
import { parseTrustProxy, readSettings } from '../../../examples/shop-kit/settings.js';

defineExampleShopSuite({
  name: 'examples/express',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    return serveShop(app, tracker);
  },
  readSettings,
  parseTrustProxy,
  serveThrowingRoute() {
    const app = express();
    app.get('/boom', () => {
      throw new Error(`boom in ${__filename}`);
    });
    app.use(shopErrorHandler);
    return listen(app);
  },
});
