import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tracker, TrackerOptions } from '@mapp-s2s/core';
import { HOSTILE_TRACK_ID, type HostileTarget } from './hostile-suite.js';
import { createShop as createExpressShop } from '../../../examples/express/src/app.js';
import { createShop as createKoaShop } from '../../../examples/koa/src/app.js';

/** An example shop served in this process on a loopback port. */
export interface InProcessShop {
  readonly name: 'express' | 'koa';
  readonly url: string;
  readonly port: number;
  readonly tracker: Tracker;
  /** Stops the server, then closes the tracker (draining what is queued). */
  close(): Promise<void>;
}

/** Options handed to the examples' `createShop()`: tracker options plus a quiet logger. */
export type ShopOptions = TrackerOptions & { onError?: (error: Error) => void };

const QUIET = { debug() {}, warn() {}, error() {} };

/** Serves the real examples/express or examples/koa app (their `createShop(settings)`) on port 0. */
export async function startShop(name: 'express' | 'koa', options: ShopOptions): Promise<InProcessShop> {
  const settings = { logger: QUIET, onError: () => undefined, ...options };
  let server: Server;
  let tracker: Tracker;
  if (name === 'express') {
    const shop = createExpressShop(settings);
    server = createServer(shop.app);
    tracker = shop.tracker;
  } else {
    const shop = createKoaShop(settings);
    server = createServer(shop.app.callback());
    tracker = shop.tracker;
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    port,
    tracker,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tracker.close({ timeout: 10_000 });
    },
  };
}

/**
 * A hostile-input target for an in-process example: `batch` transport (drained with
 * `tracker.flush()`), the pixel pass-through in `queue` mode, or `forward` mode when asked
 * (the examples read `MAPP_PIXEL_MODE` when they mount the pass-through).
 */
export function inProcessTarget(name: 'express' | 'koa', options: { pixel: boolean; fuzzRuns: number }): HostileTarget {
  return {
    name: `examples/${name}`,
    pixel: options.pixel,
    pixelForward: options.pixel,
    fuzzRuns: options.fuzzRuns,
    hitTimeoutMs: 5000,
    start: async ({ trackDomain, trustProxy, pixelMode }) => {
      const previous = process.env['MAPP_PIXEL_MODE'];
      if (pixelMode !== undefined) process.env['MAPP_PIXEL_MODE'] = pixelMode;
      try {
        const shop = await startShop(name, { trackId: HOSTILE_TRACK_ID, trackDomain, transport: 'batch', trustProxy, batch: { flushInterval: 20 } });
        return { url: shop.url, port: shop.port, drain: () => shop.tracker.flush(), close: () => shop.close() };
      } finally {
        if (previous === undefined) delete process.env['MAPP_PIXEL_MODE'];
        else process.env['MAPP_PIXEL_MODE'] = previous;
      }
    },
  };
}
