import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createRequestTracking, type ResponseFacts, type Tracker } from '@mapp-s2s/core';
import { createTracker, nodeResponseCookies, trackNodeRequest } from '@mapp-s2s/core/node';
import { kit } from './kit.js';
import type { ExpressTrackingOptions } from './options.js';

/** The middleware returned by `mappTracking()`; `tracker` is there to `close()` it on shutdown. */
export interface MappTrackingMiddleware extends RequestHandler {
  /** The tracker this middleware sends to (created from the options, or the one passed in). */
  readonly tracker: Tracker;
}

/** Express's own `trust proxy` is pointed at, never adopted: its meaning differs from ours. */
function expressTrustWarning(trustProxy: unknown): string | undefined {
  if (trustProxy === undefined || trustProxy === false) return undefined;
  return `Express 'trust proxy' is ${JSON.stringify(trustProxy)} but mappTracking's trustProxy is not set and Express's setting is not adopted: pass the same value as mappTracking({ trustProxy }).`;
}

function responseFacts(res: Response): ResponseFacts | undefined {
  // Closed before any header went out: the client aborted and got no page.
  if (!res.writableFinished && !res.headersSent) return undefined;
  const contentType = res.getHeader('content-type');
  return { status: res.statusCode, contentType: contentType === undefined ? undefined : String(contentType) };
}

/**
 * Express 4/5 middleware that sends one Mapp Intelligence page-view hit per page request,
 * after the response has finished. Mount it once, before your routes:
 * `app.use(mappTracking({ trackId, trackDomain, trustProxy: 'loopback' }))`.
 *
 * Invalid options throw here, at startup. During requests nothing is thrown: failures go to
 * `onError` (default: one warning per distinct message) and to the tracker's events.
 */
export function mappTracking(options: ExpressTrackingOptions = {}): MappTrackingMiddleware {
  const tracking = createRequestTracking(options, { states: kit.states, env: process.env, createTracker, frameworkTrustWarning: expressTrustWarning });


  function mappTrackingMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (!tracking.shouldTrack(req)) {
      next();
      return;
    }
    // fromNodeRequest reads req.originalUrl: Express strips the mount path from req.url.
    const frameworkTrust = tracking.wantsFrameworkTrust ? req.app?.get('trust proxy') : undefined;
    trackNodeRequest(tracking, req, req, res, frameworkTrust, nodeResponseCookies(res), responseFacts, res, next);
  }

  return Object.assign(mappTrackingMiddleware, { tracker: tracking.tracker });
}
