import { defineExamplePixelSuite } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/nestjs/src/app.js';
import { serveNest } from './support.js';

defineExamplePixelSuite({
  name: 'examples/nestjs',
  async startShop(env) {
    const { app } = await createShop(env);
    return serveNest(app);
  },
});
