import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tracker, TrackerOptions } from '@mapp-s2s/core';
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
