import { defineExamplePixelSuite, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/koa/src/app.js';

defineExamplePixelSuite({
  name: 'examples/koa',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    return serveShop(app.callback(), tracker);
  },
});
