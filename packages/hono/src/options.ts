import type { Context } from 'hono';
import type { AdapterErrorHandler, AdapterTrackingOptions } from '@mapp-s2s/core';

/**
 * Called with every tracking failure; the request itself is never affected. `c` is the
 * request being tracked, or `undefined` for a failure of a background send.
 */
export type TrackingErrorHandler = AdapterErrorHandler<Context>;

/**
 * Options of `mappTracking()`: every core `TrackerOptions` field plus `tracker`, `onError`
 * and `remoteAddress`. Settings missing here come from `process.env` (`MAPP_TRACK_ID`...)
 * where the runtime has one.
 */
export interface HonoTrackingOptions extends AdapterTrackingOptions<Context> {
  /**
   * Receives tracking failures: failed or dropped sends (from the tracker's events, when this
   * middleware created the tracker) and unexpected exceptions. Never called for the app's own
   * errors, which reach Hono's `onError` untouched.
   * @default logs one warning per distinct message through `logger`
   */
  onError?: TrackingErrorHandler;
  /**
   * The TCP peer's address, the start of the client-IP decision (`trustProxy`). On Node
   * (`@hono/node-server`) it is read from the socket; elsewhere pass your runtime's, e.g.
   * `(c) => getConnInfo(c).remote.address` (Bun, Deno) or, on Cloudflare Workers, where
   * Cloudflare's edge is the peer, `(c) => c.req.header('cf-connecting-ip')`.
   * @default the Node socket's `remoteAddress`, else unknown
   */
  remoteAddress?: (c: Context) => string | undefined;
}
