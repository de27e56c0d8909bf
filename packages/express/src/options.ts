import type { Request } from 'express';
import type { AdapterErrorHandler, AdapterTrackingOptions } from '@mapp-s2s/core';

/**
 * Called with every tracking failure; the request itself is never affected. `req` is the
 * request being tracked, or `undefined` for a failure of a background send (a batch, a
 * rejected or dropped hit), which belongs to no single request.
 */
export type TrackingErrorHandler = AdapterErrorHandler<Request>;

/**
 * Options of `mappTracking()`: every core `TrackerOptions` field plus `tracker` (share an
 * existing tracker instead of creating one) and `onError`.
 */
export interface ExpressTrackingOptions extends AdapterTrackingOptions<Request> {
  /**
   * Receives tracking failures: failed or dropped sends (from the tracker's events, when this
   * middleware created the tracker) and unexpected exceptions. Never called for the app's
   * own errors, which reach Express's error handlers untouched.
   * @default logs one warning per distinct message through `logger`
   */
  onError?: TrackingErrorHandler;
}
