import type { HitData, PageHitData, TrackResult } from '@mapp-s2s/core';
import { kit } from './kit.js';

/**
 * Adds data to this request's page-view hit (a page name, products, an order...); calls
 * merge, the last one wins. Sent once the middleware chain has finished. Never throws.
 * Also `ctx.state.mapp.trackPage(data)`.
 *
 * ```ts
 * trackPage(ctx, { pageName: 'checkout/confirmation', order: { value: 74.8, id: 'A-1', currency: 'EUR' } });
 * ```
 */
export function trackPage(ctx: object, data: PageHitData): void {
  kit.trackPage(ctx, data);
}

/**
 * Sends a backend event that shares this request's visitor, client IP, user agent and page
 * URL, independent of the page view. Never rejects: failures resolve to `{ ok: false }` and
 * reach `onError` through the tracker's events. Also `ctx.state.mapp.trackEvent(data)`.
 *
 * ```ts
 * void trackEvent(ctx, { action: { name: 'newsletter-signup' } });
 * ```
 */
export function trackEvent(ctx: object, data: HitData): Promise<TrackResult> {
  return kit.trackEvent(ctx, data);
}
