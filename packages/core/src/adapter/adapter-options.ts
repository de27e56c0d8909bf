import type { Tracker, TrackerOptions } from '../types.js';

/**
 * Called with every tracking failure; the request itself is never affected. `request` is the
 * framework's request being tracked (Express `req`, Koa `ctx`), or `undefined` for a failure
 * of a background send (a batch, a rejected or dropped hit), which belongs to no single request.
 */
export type AdapterErrorHandler<R> = (error: Error, request: R | undefined) => void;

/**
 * Options of an adapter's `mappTracking()`: every core `TrackerOptions` field plus the
 * adapter extras. Pass either tracker options (the adapter creates a tracker) or `tracker`
 * (share one). `R` is the framework's request type.
 */
export interface AdapterTrackingOptions<R> extends TrackerOptions {
  /**
   * An existing tracker to use instead of creating one, e.g. to share it with backend code
   * or between apps. When set, no other tracker option except `logger` may be given, and its
   * send failures are reported by its own `onEvent`, not by this `onError`.
   * @default undefined (a tracker is created from the other options)
   */
  tracker?: Tracker;
  /**
   * Receives tracking failures: failed or dropped sends (from the tracker's events, when this
   * middleware created the tracker) and unexpected exceptions. Never called for
   * the app's own errors, which pass through untouched.
   * @default logs one warning per distinct message through `logger`
   */
  onError?: AdapterErrorHandler<R>;
}
