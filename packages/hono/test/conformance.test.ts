import { getRequestListener } from '@hono/node-server';
import { defineAdapterSuite, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/hono/src/app.js';

defineAdapterSuite({
  name: 'hono 4 on @hono/node-server (examples/hono)',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    return serveShop(getRequestListener(app.fetch), tracker);
  },
});
