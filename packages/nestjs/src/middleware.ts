import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestTracking } from '@mapp-s2s/core';
import { trackNodeRequest } from '@mapp-s2s/core/node';
import { bridgeFacts, ResponseBridge } from './response-bridge.js';
import { MAPP_REQUEST_TRACKING } from './tokens.js';

/** What Express adds to a Node request that matters here. */
interface ExpressExtras {
  originalUrl?: string;
  app?: { get?(name: string): unknown };
}

/**
 * Starts tracking every request (the module applies it to all routes): decides the visit, puts
 * the visitor cookie on the response before any handler runs, and hands the finished response
 * to the tracker once it is closed. Which handler answers is not known here (middleware runs
 * before routing): `@NoTracking()`/`@TrackAs()` are read by `MappTrackingInterceptor`.
 * @internal
 */
@Injectable()
export class MappTrackingMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  constructor(@Inject(MAPP_REQUEST_TRACKING) private readonly tracking: RequestTracking<IncomingMessage>) {}

  use(req: IncomingMessage & ExpressExtras, res: ServerResponse, next: (error?: unknown) => void): void {
    const tracking = this.tracking;
    if (!tracking.shouldTrack(req)) {
      next();
      return;
    }
    const bridge = new ResponseBridge(res);
    ResponseBridge.attach(req, bridge);
    const frameworkTrust = tracking.wantsFrameworkTrust ? req.app?.get?.('trust proxy') : undefined;
    // fromNodeRequest reads `originalUrl` on Express: the URL before any mount.
    trackNodeRequest(tracking, req, req, res, frameworkTrust, bridge, bridgeFacts, bridge, next);
  }
}
