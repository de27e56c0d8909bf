import type { FastifyRequest } from 'fastify';
import type { AdapterErrorHandler, AdapterTrackingOptions } from '@mapp-s2s/core';

/**
 * Called with every tracking failure; the request itself is never affected. `request` is the
 * request being tracked, or `undefined` for a failure of a background send (a batch, a
 * rejected or dropped hit), which belongs to no single request.
 */
export type TrackingErrorHandler = AdapterErrorHandler<FastifyRequest>;

/**
 * Options of the `mappTracking` plugin: every core `TrackerOptions` field plus `tracker`
 * (share an existing tracker instead of creating one) and `onError`.
 */
export interface FastifyTrackingOptions extends AdapterTrackingOptions<FastifyRequest> {
  /**
   * Receives tracking failures: failed or dropped sends (from the tracker's events, when this
   * plugin created the tracker) and unexpected exceptions. Never called for the app's own
   * errors, which reach Fastify's error handler untouched.
   * @default logs one warning per distinct message through `logger`
   */
  onError?: TrackingErrorHandler;
}
