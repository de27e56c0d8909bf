import { runShop } from '../../shop-kit/run-shop.js';
import { createShop, nodeListener } from './app.js';

await runShop('example-hono-shop', (options) => {
  const { app, tracker } = createShop(options);
  return { handler: nodeListener(app), close: () => tracker.close({ timeout: 5000 }) };
});
