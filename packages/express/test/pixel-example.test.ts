import { defineExamplePixelSuite, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/express/src/app.js';

defineExamplePixelSuite({
  name: 'examples/express',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    return serveShop(app, tracker);
  },
});
