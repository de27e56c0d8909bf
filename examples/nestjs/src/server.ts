import { runShop } from '../../shop-kit/run-shop.js';
import { createShop } from './app.js';

await runShop('example-nestjs-shop', async (options) => {
  const { app } = await createShop(options);
  // app.close() runs MappTrackingModule's onApplicationShutdown: the tracker delivers what is
  // queued (up to 5 s). (The shop closes itself on the signal; an app that lets Nest listen
  // calls app.enableShutdownHooks() instead.)
  return { handler: app.getHttpAdapter().getInstance(), close: () => app.close() };
});
