import type { Context } from 'koa';
import type { HitData, Tracker, TrackerOptions } from '@mapp-s2s/core';

/**
 * Called with every tracking failure; the request itself is never affected. `ctx` is the
 * request being tracked, or `undefined` for a failure of a background send (a batch, a
 * rejected or dropped hit), which belongs to no single request.
 */
export type TrackingErrorHandler = (error: Error, ctx: Context | undefined) => void;

/**
 * Options of `mappTracking()`: every core `TrackerOptions` field plus the adapter extras.
 * Pass either tracker options (the adapter creates a tracker) or `tracker` (share one).
 */
export interface KoaTrackingOptions extends TrackerOptions {
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
   * the app's own errors, which pass through untouched to Koa's error handling.
   * @default logs one warning per distinct message through `logger`
   */
  onError?: TrackingErrorHandler;
}

/**
 * What a handler can say about its page view: any `HitData` except an `action` (a page
 * view with an action would be an event), plus `pageName` as a shorthand for `page.name`.
 */
export interface PageHitData extends Omit<HitData, 'action'> {
  /** Shorthand for `page.name`. */
  pageName?: string;
}
