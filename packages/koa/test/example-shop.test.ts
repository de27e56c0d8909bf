import { defineExampleShopSuite, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/koa/src/app.js';
import { parseTrustProxy, readSettings } from '../../../examples/shop-kit/settings.js';

defineExampleShopSuite({
  name: 'examples/koa',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    return serveShop(app.callback(), tracker);
  },
  readSettings,
  parseTrustProxy,
});
