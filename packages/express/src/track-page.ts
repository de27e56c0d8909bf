import type { Request } from 'express';
import type { HitData, PageHitData, TrackResult } from '@mapp-s2s/core';
import { kit } from './kit.js';

/**
 * Adds data to this request's page-view hit, e.g. a page name, products or an order. Calls
 * merge: objects key by key, lists and single values replaced (the last call wins). The hit
 * is sent when the response finishes. Never throws.
 *
 * ```ts
 * trackPage(req, { pageName: 'checkout/confirmation', order: { value: 74.8, id: 'A-1', currency: 'EUR' } });
 * ```
 */
export function trackPage(req: Request, data: PageHitData): void {
  kit.trackPage(req, data);
}

/**
 * Sends a backend event (library-based tracking) that shares this request's visitor
 * identity, client IP, user agent and page URL, independent of the page view. Never rejects:
 * failures resolve to `{ ok: false }` (and reach `onError` through the tracker's events).
 *
 * ```ts
 * void trackEvent(req, { action: { name: 'newsletter-signup' } });
 * ```
 */
export function trackEvent(req: Request, data: HitData): Promise<TrackResult> {
  return kit.trackEvent(req, data);
}
