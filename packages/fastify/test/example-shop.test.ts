import Fastify from 'fastify';
import { defineExampleShopSuite, listen, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop, shopErrorHandler } from '../../../examples/fastify/src/app.js';
import { parseTrustProxy, readSettings } from '../../../examples/shop-kit/settings.js';

defineExampleShopSuite({
  name: 'examples/fastify',
  async startShop(env) {
    const { app, tracker } = await createShop(env);
    return serveShop((req, res) => app.routing(req, res), tracker);
  },
  readSettings,
  parseTrustProxy,
  async serveThrowingRoute() {
    const app = Fastify();
    app.get('/boom', () => {
      throw new Error(`boom in ${__filename}`);
    });
    app.setErrorHandler(shopErrorHandler);
    await app.ready();
    return listen((req, res) => app.routing(req, res));
  },
});
