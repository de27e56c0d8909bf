import type { Context } from 'hono';
import type { HitData, PageHitData, TrackResult } from '@mapp-s2s/core';
import { kit } from './kit.js';
import { waitUntilOf } from './runtime.js';

/**
 * Adds data to this request's page-view hit (a page name, products, an order...); calls
 * merge, the last one wins. Sent once the chain has answered. Never throws.
 *
 * ```ts
 * trackPage(c, { pageName: 'checkout/confirmation', order: { value: 74.8, id: 'A-1', currency: 'EUR' } });
 * ```
 */
export function trackPage(c: Context, data: PageHitData): void {
  kit.trackPage(c, data);
}

/**
 * Sends a backend event that shares this request's visitor, client IP, user agent and page
 * URL, independent of the page view. In a worker the send is kept alive with
 * `c.executionCtx.waitUntil()`, so it need not be awaited. Never rejects: failures resolve to
 * `{ ok: false }` and reach `onError` through the tracker's events.
 *
 * ```ts
 * void trackEvent(c, { action: { name: 'newsletter-signup' } });
 * ```
 */
export function trackEvent(c: Context, data: HitData): Promise<TrackResult> {
  const result = kit.trackEvent(c, data);
  waitUntilOf(c)?.(result);
  return result;
}
