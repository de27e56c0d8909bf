import type { Context } from 'koa';
import type { HitData, PageHitData, TrackResult } from '@mapp-s2s/core';
import { kit } from './kit.js';
import { trackEvent, trackPage } from './track-page.js';

/** Per-request helpers at `ctx.state.mapp`, the same as the `trackPage(ctx, …)` family. */
export interface MappStateHelpers {
  /** Adds data to this request's page-view hit (see `trackPage`). */
  trackPage(data: PageHitData): void;
  /** Sends a backend event sharing this request's visitor (see `trackEvent`). */
  trackEvent(data: HitData): Promise<TrackResult>;
  /** Drops this request's page view (see `noTracking`). */
  noTracking(): void;
}

declare module 'koa' {
  /** `mappTracking()` puts its per-request helpers here. */
  interface DefaultState {
    mapp?: MappStateHelpers;
  }
}

/** The helpers bound to one request. @internal */
export function createStateHelpers(ctx: Context): MappStateHelpers {
  return {
    trackPage: (data) => trackPage(ctx, data),
    trackEvent: (data) => trackEvent(ctx, data),
    noTracking: () => kit.optOut(ctx),
  };
}
