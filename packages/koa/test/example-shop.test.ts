import Koa from 'koa';
import { defineExampleShopSuite, listen, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop, shopErrors } from '../../../examples/koa/src/app.js';
import { parseTrustProxy, readSettings } from '../../../examples/shop-kit/settings.js';

defineExampleShopSuite({
  name: 'examples/koa',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    return serveShop(app.callback(), tracker);
  },
  readSettings,
  parseTrustProxy,
  serveThrowingRoute() {
    const app = new Koa();
    app.use(shopErrors);
    app.use((ctx) => {
      if (ctx.path === '/boom') throw new Error(`boom in ${__filename}`);
    });
    return listen(app.callback());
  },
});
