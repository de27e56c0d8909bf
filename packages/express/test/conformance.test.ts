import express4 from 'express4';
import { defineAdapterSuite } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/express/src/app.js';
import { listen } from './support.js';

defineAdapterSuite({
  name: 'express 5 (examples/express)',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    const server = await listen(app);
    return { url: server.url, close: async () => (await server.close(), await tracker.close({ timeout: 2000 })) };
  },
});

defineAdapterSuite({
  name: 'express 4 (examples/express on the express4 alias)',
  async startShop(env) {
    const { app, tracker } = createShop(env, express4);
    const server = await listen(app);
    return { url: server.url, close: async () => (await server.close(), await tracker.close({ timeout: 2000 })) };
  },
});
