import { redisStreamTransport } from '@mapp-s2s/redis';
import { runShop } from '../../shop-kit/run-shop.js';
import { createShop } from './app.js';

await runShop('example-express-shop', (options) => {
  const { app, tracker } = createShop(options);
  return { handler: app, close: () => tracker.close({ timeout: 5000 }) };
}, { redis: redisStreamTransport });
