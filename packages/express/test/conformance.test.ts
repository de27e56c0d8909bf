import express4 from 'express4';
import { defineAdapterSuite, serveShop } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/express/src/app.js';

defineAdapterSuite({
  name: 'express 5 (examples/express)',
  async startShop(env) {
    const { app, tracker } = createShop(env);
    return serveShop(app, tracker);
  },
});

defineAdapterSuite({
  name: 'express 4 (examples/express on the express4 alias)',
  async startShop(env) {
    const { app, tracker } = createShop(env, express4);
    return serveShop(app, tracker);
  },
});
