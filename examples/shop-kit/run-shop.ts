import { createServer, type RequestListener } from 'node:http';
import type { TrackerOptions, TransportFactory } from '@mapp-s2s/core';
import { readSettings, type ShopSettings } from './settings.js';

/** A shop ready to serve: its Node request listener and how to close it (tracker included). */
export interface ServableShop {
  handler: RequestListener;
  /** Closes the app and its tracker, giving queued hits up to 5 s. */
  close(): Promise<void>;
}

/** Transports an example brings itself: `redis` (fleet mode) from `@mapp-s2s/redis`. */
export interface ShopTransports {
  redis?: (options: ShopSettings['redis']) => TransportFactory;
}

/** The tracker options an example shop is created with, from its environment. */
export function trackerOptionsOf(settings: ShopSettings, transports: ShopTransports = {}): TrackerOptions {
  let transport: TrackerOptions['transport'];
  if (settings.transport === 'redis') {
    // Fleet mode: every shop process appends to the same Redis outbox; a shipper delivers it.
    if (transports.redis === undefined) throw new Error('MAPP_TRANSPORT=redis is not available in this example (use direct, batch or spool).');
    transport = transports.redis(settings.redis);
  } else transport = settings.transport;
  return {
    trackId: settings.trackId,
    trackDomain: settings.trackDomain,
    transport,
    trustProxy: settings.trustProxy,
    ...(settings.transport === 'spool' ? { spool: { dir: settings.spoolDir } } : {}),
    ...(settings.flushInterval !== undefined ? { batch: { flushInterval: settings.flushInterval } } : {}),
  };
}

/**
 * Runs an example shop as `pnpm --dir examples/<name> start` does: reads the environment,
 * builds the shop (a bad setting gets one clear line and exit 1, no stack trace), listens,
 * and on `SIGTERM`/`SIGINT` stops taking requests, then closes the shop and its tracker.
 * `name` is the log prefix, e.g. `example-fastify-shop`.
 */
export async function runShop(name: string, build: (options: TrackerOptions) => ServableShop | Promise<ServableShop>, transports: ShopTransports = {}): Promise<void> {
  let settings: ShopSettings;
  let shop: ServableShop;
  try {
    settings = readSettings(process.env);
    shop = await build(trackerOptionsOf(settings, transports));
  } catch (error) {
    console.error(`${name}: ${(error as Error).message}`);
    process.exit(1);
  }

  // The Smart Pixel's requests reach 30,720 characters (docs/protocol.md §4): Node's 16 KiB header
  // limit would answer 431 to the longest ones before /mapp/pixel sees them.
  const server = createServer({ maxHeaderSize: 64 * 1024 }, shop.handler);
  server.listen(settings.port, () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : settings.port;
    console.log(`${name} listening on http://127.0.0.1:${port} (Mapp: ${settings.trackDomain}, transport ${settings.transport}, NODE_ENV ${process.env['NODE_ENV'] ?? 'unset'})`);
  });

  let closing = false;
  async function shutdown(signal: string): Promise<void> {
    if (closing) return;
    closing = true;
    console.log(`${name}: ${signal}, closing`);
    // Stop taking requests first, then give queued hits up to 5 s to reach Mapp (or the spool).
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await shop.close();
    process.exit(0);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
