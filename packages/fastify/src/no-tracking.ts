import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { kit } from './kit.js';

/** A route hook that opts the request out; fits `onRequest` and `preHandler`. */
export type NoTrackingHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * Route hook: requests through it never become a page view, and a visitor cookie minted for
 * them is taken back, e.g. `app.get('/health', { onRequest: noTracking() }, handler)`. The
 * route option `{ config: { mappTracking: false } }` does the same before any visit is
 * decided; inside a handler, `request.noTracking()`.
 */
export function noTracking(): NoTrackingHook {
  return function mappNoTracking(request, _reply, done) {
    kit.optOut(request);
    done();
  };
}
