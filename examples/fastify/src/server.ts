import { runShop } from '../../shop-kit/run-shop.js';
import { createShop } from './app.js';

await runShop('example-fastify-shop', async (options) => {
  const { app } = await createShop(options);
  // app.close() runs the plugin's onClose hook: the tracker delivers what is queued (up to 5 s).
  return { handler: (req, res) => app.routing(req, res), close: () => app.close() };
});
