import type { HitData, TrackResult } from '../types.js';
import { mergeHitData } from './merge-hit-data.js';
import type { PageHitData } from './page-hit-data.js';
import type { RequestStateStore } from './request-state.js';
import { toError } from './report-error.js';

/** `trackPage()` and `trackEvent()` over one adapter's request state. @internal */
export interface PageTracking {
  /** Merges data into the request's page-view hit. Never throws. */
  trackPage(carrier: object, data: PageHitData): void;
  /** Sends a backend event with the request's visitor and context. Never rejects. */
  trackEvent(carrier: object, data: HitData): Promise<TrackResult>;
}

/**
 * Builds an adapter's `trackPage`/`trackEvent`. `mountHint` completes the one warning given
 * when they are called for a request `mappTracking()` never saw (it says how to mount it).
 * @internal
 */
export function createPageTracking(states: RequestStateStore, mountHint: string): PageTracking {
  const notMounted = `mappTracking() has not run for this request: ${mountHint}`;
  let warned = false;
  const warnNotMounted = (caller: string): void => {
    if (warned) return;
    warned = true;
    console.warn(`[mapp-s2s] ${caller}(): ${notMounted}.`);
  };
  return {
    trackPage(carrier, data) {
      const state = states.get(carrier);
      if (state === undefined) {
        warnNotMounted('trackPage');
        return;
      }
      try {
        state.data = mergeHitData(state.data, data);
      } catch (error) {
        state.reportError(error);
      }
    },
    async trackEvent(carrier, data) {
      const state = states.get(carrier);
      if (state === undefined) {
        warnNotMounted('trackEvent');
        return { ok: false, status: 'failed', error: new Error(notMounted) };
      }
      try {
        const visit = await state.visitReady;
        return await state.tracker.track(data, visit === undefined ? { context: state.context } : { context: state.context, visit });
      } catch (error) {
        state.reportError(error);
        return { ok: false, status: 'failed', error: toError(error) };
      }
    },
  };
}
