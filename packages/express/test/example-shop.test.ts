import { defineExampleShopSuite, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/express/src/app.js';
import { parseTrustProxy, readSettings } from '../../../examples/express/src/settings.js';

defineExampleShopSuite({
  name: 'examples/express',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    return serveShop(app, tracker);
  },
  readSettings,
  parseTrustProxy,
});
