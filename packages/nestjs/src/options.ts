import type { AdapterErrorHandler, AdapterTrackingOptions } from '@mapp-s2s/core';
import type { IncomingMessage } from 'node:http';

/**
 * Called with every tracking failure; the request itself is never affected. `request` is the
 * Node request being tracked, or `undefined` for a failure of a background send.
 */
export type TrackingErrorHandler = AdapterErrorHandler<IncomingMessage>;

/**
 * Options of `MappTrackingModule.forRoot()`: every core `TrackerOptions` field (settings not
 * given come from `MAPP_*` environment variables) plus `tracker` and `onError`.
 */
export interface NestTrackingOptions extends AdapterTrackingOptions<IncomingMessage> {
  /**
   * Receives tracking failures: failed or dropped sends (from the tracker's events, when the
   * module created the tracker) and unexpected exceptions. Never called for the app's own
   * errors, which reach Nest's exception filters untouched.
   * @default logs one warning per distinct message through `logger`
   */
  onError?: TrackingErrorHandler;
}

/** `MappTrackingModule.forRootAsync()`: options from a factory, e.g. with `ConfigService`. */
export interface NestTrackingAsyncOptions {
  /** Modules whose providers the factory needs, e.g. `[ConfigModule]`. */
  imports?: unknown[];
  /** Tokens whose instances are passed to `useFactory`, in order. */
  inject?: unknown[];
  useFactory: (...args: any[]) => NestTrackingOptions | Promise<NestTrackingOptions>;
}
