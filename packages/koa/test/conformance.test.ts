import Koa2 from 'koa2';
import { defineAdapterSuite } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/koa/src/app.js';
import { listen } from './support.js';

defineAdapterSuite({
  name: 'koa 3 (examples/koa)',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    const server = await listen(app.callback());
    return { url: server.url, close: async () => (await server.close(), await tracker.close({ timeout: 2000 })) };
  },
});

defineAdapterSuite({
  name: 'koa 2 (examples/koa on the koa2 alias)',
  async startShop(env) {
    const { app, tracker } = createShop(env, Koa2);
    const server = await listen(app.callback());
    return { url: server.url, close: async () => (await server.close(), await tracker.close({ timeout: 2000 })) };
  },
});
