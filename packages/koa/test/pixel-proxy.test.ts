import Koa from 'koa';
import Koa2 from 'koa2';
import Router from '@koa/router';
import { definePixelProxySuite, listen, type PixelProxySuiteOptions } from '@mapp-s2s/adapter-tests';
import { mappPixelProxy } from '../src/pixel-proxy.js';

type KoaClass = typeof Koa;

/** The shop the pixel suite asks for, on one Koa version. */
function startShop(App: KoaClass): PixelProxySuiteOptions['startShop'] {
  return async (options) => {
    const app = new App();
    app.use(async (ctx, next) => {
      ctx.cookies.set('site_session', 'abc', { httpOnly: false });
      await next();
    });
    const proxy = mappPixelProxy(options); // handles /mapp/pixel by default
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
    return { url: server.url, close: async () => (await proxy.tracker?.close(), await server.close()) };
  };
}

definePixelProxySuite({ name: 'Koa 3', startShop: startShop(Koa) });
definePixelProxySuite({ name: 'Koa 2', startShop: startShop(Koa2 as unknown as KoaClass) });
