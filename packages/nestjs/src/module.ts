import { Global, Inject, Module, type DynamicModule, type MiddlewareConsumer, type NestModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { createRequestTracking, type RequestTracking } from '@mapp-s2s/core';
import { createTracker } from '@mapp-s2s/core/node';
import type { IncomingMessage } from 'node:http';
import { MappTrackingInterceptor } from './interceptor.js';
import { kit } from './kit.js';
import { MappTracker } from './mapp-tracker.js';
import { MappTrackingMiddleware } from './middleware.js';
import type { NestTrackingAsyncOptions, NestTrackingOptions } from './options.js';
import { MAPP_REQUEST_TRACKING, MAPP_TRACKING_OPTIONS } from './tokens.js';

/** Express's `trust proxy` (Nest's Express platform) is pointed at, never adopted. */
function expressTrustWarning(trustProxy: unknown): string | undefined {
  if (trustProxy === undefined || trustProxy === false) return undefined;
  return `Express 'trust proxy' is ${JSON.stringify(trustProxy)} but MappTrackingModule's trustProxy is not set and Express's setting is not adopted: pass the same value in forRoot({ trustProxy }).`;
}

/** Builds the request tracking once the options are known; invalid options fail the app's start. */
function requestTrackingProvider(): Provider {
  return {
    provide: MAPP_REQUEST_TRACKING,
    inject: [MAPP_TRACKING_OPTIONS],
    useFactory: (options: NestTrackingOptions): RequestTracking<IncomingMessage> =>
      createRequestTracking(options, { states: kit.states, env: process.env, createTracker, frameworkTrustWarning: expressTrustWarning }),
  };
}

function moduleWith(optionsProvider: Provider, imports: unknown[] = []): DynamicModule {
  return {
    module: MappTrackingModule,
    imports: imports as DynamicModule['imports'],
    providers: [optionsProvider, requestTrackingProvider(), MappTracker, { provide: APP_INTERCEPTOR, useClass: MappTrackingInterceptor }],
    exports: [MappTracker],
  };
}

/**
 * Server-side Mapp Intelligence page views for a Nest app on the Express or the Fastify
 * platform. Import it once into the root module:
 * `MappTrackingModule.forRoot({ trackId, trackDomain, trustProxy: 'loopback' })`. Every route
 * is tracked; `@NoTracking()` and `@TrackAs()` on controllers and handlers refine it and
 * `MappTracker` (injectable anywhere) adds page data and sends backend events. On shutdown
 * (`app.enableShutdownHooks()`, or `app.close()`) the tracker the module created delivers what
 * is queued (up to 5 s).
 */
@Global()
@Module({})
export class MappTrackingModule implements NestModule, OnApplicationShutdown {
  constructor(
    @Inject(MAPP_REQUEST_TRACKING) private readonly tracking: RequestTracking<IncomingMessage>,
    @Inject(MAPP_TRACKING_OPTIONS) private readonly options: NestTrackingOptions,
  ) {}

  /** The module with fixed options (settings not given come from `MAPP_*` variables). */
  static forRoot(options: NestTrackingOptions = {}): DynamicModule {
    return moduleWith({ provide: MAPP_TRACKING_OPTIONS, useValue: options });
  }

  /** The module with options from a factory, e.g. `inject: [ConfigService]`. */
  static forRootAsync({ imports, inject = [], useFactory }: NestTrackingAsyncOptions): DynamicModule {
    return moduleWith({ provide: MAPP_TRACKING_OPTIONS, inject: inject as never[], useFactory }, imports);
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(MappTrackingMiddleware).forRoutes('{*path}');
  }

  async onApplicationShutdown(): Promise<void> {
    // A tracker passed in belongs to its creator, who closes it.
    if (this.options.tracker === undefined) await this.tracking.tracker.close();
  }
}
