import type { Context } from 'koa';
import type { AdapterErrorHandler, AdapterTrackingOptions } from '@mapp-s2s/core';

/**
 * Called with every tracking failure; the request itself is never affected. `ctx` is the
 * request being tracked, or `undefined` for a failure of a background send (a batch, a
 * rejected or dropped hit), which belongs to no single request.
 */
export type TrackingErrorHandler = AdapterErrorHandler<Context>;

/**
 * Options of `mappTracking()`: every core `TrackerOptions` field plus `tracker` (share an
 * existing tracker instead of creating one) and `onError`.
 */
export interface KoaTrackingOptions extends AdapterTrackingOptions<Context> {
  /**
   * Receives tracking failures: failed or dropped sends (from the tracker's events, when this
   * middleware created the tracker) and unexpected exceptions. Never called for the app's
   * own errors, which pass through untouched to Koa's error handling.
   * @default logs one warning per distinct message through `logger`
   */
  onError?: TrackingErrorHandler;
}
