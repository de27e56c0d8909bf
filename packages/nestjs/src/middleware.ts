import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestTracking } from '@mapp-s2s/core';
import { fromNodeRequest } from '@mapp-s2s/core/node';
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
    let ready: Promise<void> | undefined;
    try {
      const context = fromNodeRequest(req); // `originalUrl` on Express: the URL before any mount
      const bridge = new ResponseBridge(res);
      ResponseBridge.attach(req, bridge);
      const started = tracking.start(req, context, tracking.wantsFrameworkTrust ? req.app?.get?.('trust proxy') : undefined, bridge);
      const state = started.state;
      // Attached before anything awaits. `close` fires once per response: after `finish` for a
      // completed one, alone for an aborted one (then the bridge sees it was not finished).
      res.on('close', () => tracking.finish(state, bridgeFacts, bridge));
      ready = started.ready;
    } catch (error) {
      tracking.reportError(error, req);
      next();
      return;
    }
    if (ready === undefined) next();
    else ready.then(() => next()).catch((error: unknown) => tracking.reportError(error, req));
  }
}
