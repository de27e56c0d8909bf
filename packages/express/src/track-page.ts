import type { Request } from 'express';
import type { HitData, TrackResult } from '@mapp-s2s/core';
import { mergeHitData } from './merge-hit-data.js';
import type { PageHitData } from './options.js';
import { getRequestState } from './request-state.js';

const NOT_MOUNTED = 'mappTracking() has not run for this request: mount app.use(mappTracking(...)) before your routes';
let warnedNotMounted = false;

function warnNotMounted(caller: string): void {
  if (warnedNotMounted) return;
  warnedNotMounted = true;
  console.warn(`[mapp-s2s] ${caller}(): ${NOT_MOUNTED}.`);
}

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
  const state = getRequestState(req);
  if (state === undefined) {
    warnNotMounted('trackPage');
    return;
  }
  try {
    state.data = mergeHitData(state.data, data);
  } catch (error) {
    state.reportError(error);
  }
}

/**
 * Sends a backend event (library-based tracking) that shares this request's visitor
 * identity, client IP, user agent and page URL, independent of the page view. Never rejects:
 * failures resolve to `{ ok: false }`
 * (and reach `onError` through the tracker's events).
 *
 * ```ts
 * void trackEvent(req, { action: { name: 'newsletter-signup' } });
 * ```
 */
export async function trackEvent(req: Request, data: HitData): Promise<TrackResult> {
  const state = getRequestState(req);
  if (state === undefined) {
    warnNotMounted('trackEvent');
    return { ok: false, status: 'failed', error: new Error(NOT_MOUNTED) };
  }
  try {
    const visit = await state.visitReady;
    return await state.tracker.track(data, visit === undefined ? { context: state.context } : { context: state.context, visit });
  } catch (error) {
    state.reportError(error);
    return { ok: false, status: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
  }
}
