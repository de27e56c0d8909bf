import { getRequestListener } from '@hono/node-server';
import { runShop } from '../../shop-kit/run-shop.js';
import { createShop } from './app.js';

await runShop('example-hono-shop', (options) => {
  const { app, tracker } = createShop(options);
  return { handler: getRequestListener(app.fetch), close: () => tracker.close({ timeout: 5000 }) };
});
