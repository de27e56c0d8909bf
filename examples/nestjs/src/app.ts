import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { APP_FILTER, NestFactory, type AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { mappPixelProxy, MappTracker, MappTrackingModule, type NestTrackingOptions, type Tracker } from '@mapp-s2s/nestjs';
import { registerPrometheusMetrics } from '@mapp-s2s/metrics';
import { Registry } from 'prom-client';
import { AdminController, CheckoutController, SHOP_TRACK_ID, ShopController } from './controllers.js';
import { ShopExceptionFilter } from './errors.js';

/** The shop, ready to serve, and its tracker. `app.close()` closes the tracker too. */
export interface Shop {
  app: INestApplication;
  tracker: Tracker;
}

/**
 * Builds the demo shop on Nest's Express platform, or on the platform of `httpAdapter` (the
 * adapter's tests pass a `FastifyAdapter` to run the same shop on Fastify).
 */
export async function createShop(options: NestTrackingOptions, httpAdapter: AbstractHttpAdapter = new ExpressAdapter()): Promise<Shop> {
  @Module({
    imports: [
      // Every route is tracked; /health is opted out by route, controllers by decorator.
      MappTrackingModule.forRootAsync({ useFactory: () => ({ ...options, exclude: ['/health'] }) }),
    ],
    controllers: [ShopController, CheckoutController, AdminController],
    providers: [
      { provide: APP_FILTER, useClass: ShopExceptionFilter },
      { provide: SHOP_TRACK_ID, useValue: options.trackId ?? process.env['MAPP_TRACK_ID'] ?? '' },
      // The tracker's counters for Prometheus, read from tracker.stats() at each scrape. A registry
      // per shop, not prom-client's global one, so several shops can run in one process (tests).
      {
        provide: Registry,
        inject: [MappTracker],
        useFactory: (mapp: MappTracker) => {
          const registry = new Registry();
          registerPrometheusMetrics(mapp.tracker, { registry });
          return registry;
        },
      },
    ],
  })
  class ShopModule {}

  // Start-up errors are thrown (the shop prints one line), not logged with a stack trace by Nest.
  const app = await NestFactory.create(ShopModule, httpAdapter, { logger: false, abortOnError: false });
  app.useLogger(['error', 'warn']);
  const tracker = app.get(MappTracker).tracker;
  // Smart Pixel pass-through at /mapp/pixel, before Nest's routing and sharing the tracker.
  // MAPP_PIXEL_MODE=forward|queue picks the mode.
  const { tracker: _shared, onError: _onError, ...trackerOptions } = options;
  app.use(mappPixelProxy({ ...trackerOptions, tracker }));
  await app.init();
  return { app, tracker };
}
