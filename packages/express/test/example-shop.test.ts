import { defineExampleShopSuite, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/express/src/app.js';
import { parseTrustProxy, readSettings } from '../../../examples/shop-kit/settings.js';

defineExampleShopSuite({
  name: 'examples/express',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    return serveShop(app, tracker);
  },
  readSettings,
  parseTrustProxy,
});
