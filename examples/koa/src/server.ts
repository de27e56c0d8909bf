import { createServer } from 'node:http';
import { redisStreamTransport } from '@mapp-s2s/redis';
import { createShop } from './app.js';
import { readSettings, type ShopSettings } from '../../shop-kit/settings.js';

let settings: ShopSettings;
try {
  settings = readSettings(process.env);
} catch (error) {
  console.error(`example-koa-shop: ${(error as Error).message}`);
  process.exit(1);
}

// Invalid settings (a bad track id or MAPP_TRUST_PROXY entry) get one clear line, no stack trace.
let shop: ReturnType<typeof createShop>;
try {
  shop = createShop({
    trackId: settings.trackId,
    trackDomain: settings.trackDomain,
    // Fleet mode: every shop process appends to the same Redis outbox; a shipper delivers it.
    transport: settings.transport === 'redis' ? redisStreamTransport(settings.redis) : settings.transport,
    trustProxy: settings.trustProxy,
    ...(settings.transport === 'spool' ? { spool: { dir: settings.spoolDir } } : {}),
    ...(settings.flushInterval !== undefined ? { batch: { flushInterval: settings.flushInterval } } : {}),
  });
} catch (error) {
  console.error(`example-koa-shop: ${(error as Error).message}`);
  process.exit(1);
}
const { app, tracker } = shop;

// The Smart Pixel's requests reach 30,720 characters (docs/protocol.md §4): Node's 16 KiB header
// limit would answer 431 to the longest ones before /mapp/pixel sees them.
const server = createServer({ maxHeaderSize: 64 * 1024 }, app.callback());
server.listen(settings.port, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : settings.port;
  console.log(`example-koa-shop listening on http://127.0.0.1:${port} (Mapp: ${settings.trackDomain}, transport ${settings.transport}, NODE_ENV ${process.env['NODE_ENV'] ?? 'unset'})`);
});

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  console.log(`example-koa-shop: ${signal}, closing`);
  // Stop taking requests first, then give queued hits up to 5 s to reach Mapp (or the spool).
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await tracker.close({ timeout: 5000 });
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
