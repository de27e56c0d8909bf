import { Inject, Injectable } from '@nestjs/common';
import type { HitData, PageHitData, RequestTracking, Tracker, TrackResult } from '@mapp-s2s/core';
import type { IncomingMessage } from 'node:http';
import { carrierOf, kit } from './kit.js';
import { MAPP_REQUEST_TRACKING } from './tokens.js';

/**
 * The module's tracker, injectable anywhere (the module is global). With a request (Express
 * `req` or Fastify `request`, e.g. from `@Req()`), page data and events belong to that
 * request's visitor; without one, `tracker.track()` sends background events.
 *
 * ```ts
 * constructor(@Inject(MappTracker) private readonly mapp: MappTracker) {}
 * @Post('newsletter') signup(@Req() req: Request) { void this.mapp.trackEvent(req, { action: { name: 'newsletter_signup' } }); }
 * ```
 */
@Injectable()
export class MappTracker {
  constructor(@Inject(MAPP_REQUEST_TRACKING) private readonly tracking: RequestTracking<IncomingMessage>) {}

  /** The core tracker: `track()` for events outside a request, `stats()`, `flush()`. */
  get tracker(): Tracker {
    return this.tracking.tracker;
  }

  /** Adds data to the request's page-view hit (merged; the last call wins). Never throws. */
  trackPage(request: object, data: PageHitData): void {
    kit.trackPage(carrierOf(request), data);
  }

  /** Sends a backend event sharing the request's visitor, IP, user agent and page URL. Never rejects. */
  trackEvent(request: object, data: HitData): Promise<TrackResult> {
    return kit.trackEvent(carrierOf(request), data);
  }

  /** Drops the request's page view and takes back a visitor cookie minted for it. */
  noTracking(request: object): void {
    kit.optOut(carrierOf(request));
  }
}
