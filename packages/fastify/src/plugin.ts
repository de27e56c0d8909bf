import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createRequestTracking, type HitData, type RequestTracking, type PageHitData, type ResponseFacts, type Tracker, type TrackResult } from '@mapp-s2s/core';
import { createTracker, trackNodeRequest } from '@mapp-s2s/core/node';
import { kit } from './kit.js';
import type { FastifyTrackingOptions } from './options.js';
import { ReplyCookies } from './reply-cookies.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` opts the route out of page-view tracking: no visit, no cookie, no hit. */
    mappTracking?: boolean;
  }
  interface FastifyRequest {
    /** Adds data to this request's page-view hit (see `trackPage`). */
    trackPage(data: PageHitData): void;
    /** Sends a backend event sharing this request's visitor (see `trackEvent`). */
    trackEvent(data: HitData): Promise<TrackResult>;
    /** Drops this request's page view (see `noTracking`). */
    noTracking(): void;
  }
  interface FastifyInstance {
    /** The tracker of `mappTracking`; the plugin closes it on `app.close()` when it created it. */
    readonly mappTracker: Tracker;
  }
}

/**
 * Fastify's own `trustProxy` is pointed at, never adopted: its meaning differs from ours.
 * Fastify does not expose the setting; a request has `ips` only when it is on.
 */
function fastifyTrustWarning(requestHasIps: unknown): string | undefined {
  if (requestHasIps !== true) return undefined;
  return "Fastify's trustProxy is on but mappTracking's trustProxy is not set and Fastify's setting is not adopted: pass the same value in the plugin options ({ trustProxy }).";
}

function responseFacts(reply: FastifyReply): ResponseFacts | undefined {
  // The response errored before any header went out: the client got no page.
  if (!reply.raw.writableFinished && !reply.raw.headersSent) return undefined;
  const contentType = reply.getHeader('content-type');
  return { status: reply.statusCode, contentType: contentType === undefined ? undefined : String(contentType) };
}

function decorateRequests(app: FastifyInstance): void {
  // Prototype functions: nothing is added per request. Another copy of the plugin in the
  // same app decorated them already (its second run does nothing, see shouldTrack).
  if (app.hasRequestDecorator('trackPage')) return;
  app.decorateRequest('trackPage', function trackPage(this: FastifyRequest, data: PageHitData) {
    kit.trackPage(this, data);
  });
  app.decorateRequest('trackEvent', function trackEvent(this: FastifyRequest, data: HitData) {
    return kit.trackEvent(this, data);
  });
  app.decorateRequest('noTracking', function noTracking(this: FastifyRequest) {
    kit.optOut(this);
  });
}

const plugin: FastifyPluginCallback<FastifyTrackingOptions> = function mappTrackingPlugin(app, options, done) {
  if (app.hasDecorator('mappTracker')) {
    // Registered before in this app (or a parent context): its hooks already see every
    // request here, and a second set would only find the request taken.
    (options.logger ?? console).warn('[mapp-s2s] the mappTracking plugin is registered twice in the same app; the second registration does nothing, so each request is still tracked once.');
    done();
    return;
  }
  const { tracker: shared } = options;
  let tracking: RequestTracking<FastifyRequest>;
  try {
    tracking = createRequestTracking(options, { states: kit.states, env: process.env, createTracker, frameworkTrustWarning: fastifyTrustWarning });
  } catch (error) {
    // Fastify's loader does not catch a callback plugin's throw: hand it over, so that
    // `register()`/`ready()`/`listen()` reject with it.
    done(error as Error);
    return;
  }
  decorateRequests(app);
  app.decorate('mappTracker', tracking.tracker);
  // A tracker passed in belongs to its creator, who closes it.
  if (shared === undefined) app.addHook('onClose', () => tracking.tracker.close());

  app.addHook('onRequest', function mappTrackingOnRequest(request, reply, next) {
    if (request.routeOptions.config.mappTracking === false || !tracking.shouldTrack(request)) {
      next();
      return;
    }
    // The page view is sent once the Node response has closed: it never delays the answer.
    const frameworkTrust = tracking.wantsFrameworkTrust ? 'ips' in request : undefined;
    trackNodeRequest(tracking, request, request.raw, reply.raw, frameworkTrust, new ReplyCookies(reply), responseFacts, reply, next);
  });
  done();
};

/**
 * Fastify 5 plugin that sends one Mapp Intelligence page-view hit per page request, after
 * the response has gone out (an `onRequest` hook; the Node response's `close` ends it).
 * Register it once, before your routes (it applies app-wide):
 * `await app.register(mappTracking, { trackId, trackDomain, trustProxy: 'loopback' })`.
 * A route opts out with `{ config: { mappTracking: false } }`, `onRequest: noTracking()` or
 * `request.noTracking()`; handlers add page data with `request.trackPage(...)`.
 *
 * Invalid options throw at registration (from `app.ready()`/`listen()`). During requests
 * nothing is thrown: failures go to `onError` (default: one warning per distinct message)
 * and to the tracker's events. `app.close()` closes a tracker the plugin created,
 * delivering what is queued (up to 5 s).
 */
export const mappTracking = fp(plugin, { fastify: '5.x', name: '@mapp-s2s/fastify' });
