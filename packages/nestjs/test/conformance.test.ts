import { defineAdapterSuite } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/nestjs/src/app.js';
import { adapterFor, PLATFORMS, serveNest } from './support.js';

for (const platform of PLATFORMS) {
  defineAdapterSuite({
    name: `nestjs 11 on ${platform} (examples/nestjs)`,
    async startShop(env) {
      const { app } = await createShop(env, adapterFor(platform));
      return serveNest(app);
    },
  });
}
