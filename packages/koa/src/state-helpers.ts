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

/**
 * The helpers bound to one request: one object with its methods on the prototype (this runs
 * for every request), called as `ctx.state.mapp.trackPage(...)`.
 */
class StateHelpers implements MappStateHelpers {
  constructor(private readonly ctx: Context) {}

  trackPage(data: PageHitData): void {
    trackPage(this.ctx, data);
  }

  trackEvent(data: HitData): Promise<TrackResult> {
    return trackEvent(this.ctx, data);
  }

  noTracking(): void {
    kit.optOut(this.ctx);
  }
}

/** The helpers bound to one request. @internal */
export function createStateHelpers(ctx: Context): MappStateHelpers {
  return new StateHelpers(ctx);
}
