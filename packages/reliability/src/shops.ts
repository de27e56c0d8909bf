import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Tracker, TrackerOptions } from '@mapp-s2s/core';
import { HOSTILE_TRACK_ID, type HostileTarget } from './hostile-suite.js';
import { createShop as createExpressShop } from '../../../examples/express/src/app.js';
import { createShop as createKoaShop } from '../../../examples/koa/src/app.js';
import { createShop as createFastifyShop } from '../../../examples/fastify/src/app.js';
import { createShop as createHonoShop, nodeListener as honoListener } from '../../../examples/hono/src/app.js';

/**
 * The example shops that run in this process. (examples/nestjs needs legacy decorators, which
 * this project does not compile: test/hostile-nestjs.test.ts runs it in its own process.)
 */
export type ShopName = 'express' | 'koa' | 'fastify' | 'hono';

/** An example shop served in this process on a loopback port. */
export interface InProcessShop {
  readonly name: ShopName;
  readonly url: string;
  readonly port: number;
  readonly tracker: Tracker;
  /** Stops the server, then closes the tracker (draining what is queued). */
  close(): Promise<void>;
}

/** Options handed to the examples' `createShop()`: tracker options plus a quiet logger. */
export type ShopOptions = TrackerOptions & { onError?: (error: Error) => void };

const QUIET = { debug() {}, warn() {}, error() {} };

/** The shop's Node request listener, its tracker, and how to close the app itself (if it must be). */
async function buildShop(name: ShopName, settings: ShopOptions): Promise<{ handler: RequestListener; tracker: Tracker; closeApp?: () => Promise<void> }> {
  switch (name) {
    case 'express': {
      const shop = createExpressShop(settings);
      return { handler: shop.app, tracker: shop.tracker };
    }
    case 'koa': {
      const shop = createKoaShop(settings);
      return { handler: shop.app.callback(), tracker: shop.tracker };
    }
    case 'fastify': {
      const shop = await createFastifyShop(settings);
      return { handler: (req, res) => shop.app.routing(req, res), tracker: shop.tracker, closeApp: () => shop.app.close() };
    }
    case 'hono': {
      // The Hono example builds its tracker itself (core options only: no adapter onError).
      const { onError: _onError, ...trackerOptions } = settings;
      const shop = createHonoShop(trackerOptions);
      return { handler: honoListener(shop.app), tracker: shop.tracker };
    }
  }
}

/** Serves a real example app (its `createShop(settings)`) on port 0. */
export async function startShop(name: ShopName, options: ShopOptions): Promise<InProcessShop> {
  const settings = { logger: QUIET, onError: () => undefined, ...options };
  const { handler, tracker, closeApp } = await buildShop(name, settings);
  const server: Server = createServer(handler);
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
      await closeApp?.();
      await tracker.close({ timeout: 10_000 });
    },
  };
}

/**
 * A hostile-input target for an in-process example: `batch` transport (drained with
 * `tracker.flush()`), the pixel pass-through in `queue` mode, or `forward` mode when asked
 * (the examples read `MAPP_PIXEL_MODE` when they mount the pass-through).
 */
export function inProcessTarget(name: ShopName, options: { pixel: boolean; fuzzRuns: number }): HostileTarget {
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
