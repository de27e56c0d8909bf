import { getRequestListener } from '@hono/node-server';
import { defineExamplePixelSuite, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/hono/src/app.js';

defineExamplePixelSuite({
  name: 'examples/hono',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    return serveShop(getRequestListener(app.fetch), tracker);
  },
});
