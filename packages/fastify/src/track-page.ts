import type { FastifyRequest } from 'fastify';
import type { HitData, PageHitData, TrackResult } from '@mapp-s2s/core';
import { kit } from './kit.js';

/**
 * Adds data to this request's page-view hit, e.g. a page name, products or an order. Calls
 * merge: objects key by key, lists and single values replaced (the last call wins). The hit
 * is sent once the response has gone out. Never throws. Also `request.trackPage(data)`.
 *
 * ```ts
 * trackPage(request, { pageName: 'checkout/confirmation', order: { value: 74.8, id: 'A-1', currency: 'EUR' } });
 * ```
 */
export function trackPage(request: FastifyRequest, data: PageHitData): void {
  kit.trackPage(request, data);
}

/**
 * Sends a backend event (library-based tracking) that shares this request's visitor
 * identity, client IP, user agent and page URL, independent of the page view. Never rejects:
 * failures resolve to `{ ok: false }` (and reach `onError` through the tracker's events).
 * Also `request.trackEvent(data)`.
 *
 * ```ts
 * void trackEvent(request, { action: { name: 'newsletter-signup' } });
 * ```
 */
export function trackEvent(request: FastifyRequest, data: HitData): Promise<TrackResult> {
  return kit.trackEvent(request, data);
}
