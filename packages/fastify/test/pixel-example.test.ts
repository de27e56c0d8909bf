import { defineExamplePixelSuite, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/fastify/src/app.js';

defineExamplePixelSuite({
  name: 'examples/fastify',
  async startShop(env) {
    const { app, tracker } = await createShop(env);
    return serveShop((req, res) => app.routing(req, res), tracker);
  },
});
