import Koa2 from 'koa2';
import { defineAdapterSuite, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/koa/src/app.js';

defineAdapterSuite({
  name: 'koa 3 (examples/koa)',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    return serveShop(app.callback(), tracker);
  },
});

defineAdapterSuite({
  name: 'koa 2 (examples/koa on the koa2 alias)',
  async startShop(env) {
    const { app, tracker } = createShop(env, Koa2);
    return serveShop(app.callback(), tracker);
  },
});
