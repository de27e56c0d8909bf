import type { ServerResponse } from 'node:http';
import type { RequestTracking, ResponseCookies, ResponseFacts } from '../adapter/request-tracking.js';
import { fromNodeRequest, type NodeRequestLike } from './from-node-request.js';

/**
 * The request path of a Node middleware (Express, Nest's middleware on either platform):
 * starts tracking `request` (its visit, and the visitor cookie through `cookies`), hands the
 * response to the tracker once `res` closes, and calls `next` once the visit is settled (at
 * once with a synchronous consent, the default). Never throws: a failure goes to `onError` and
 * the chain continues. Positional arguments: nothing is allocated for the call itself.
 *
 * `close` fires once per response: after `finish` for a completed one, alone for an aborted
 * one (then `readResponse(arg)` sees that it did not finish and returns `undefined`).
 * @internal
 */
export function trackNodeRequest<R extends object, A>(
  tracking: RequestTracking<R>,
  request: R,
  req: NodeRequestLike,
  res: ServerResponse,
  frameworkTrust: unknown,
  cookies: ResponseCookies,
  readResponse: (arg: A) => ResponseFacts | undefined,
  arg: A,
  next: () => void,
): void {
  let ready: Promise<void> | undefined;
  try {
    const started = tracking.start(request, fromNodeRequest(req), frameworkTrust, cookies);
    const state = started.state;
    // Attached before anything awaits, so a fast response cannot slip past it.
    res.on('close', () => tracking.finish(state, readResponse, arg));
    ready = started.ready;
  } catch (error) {
    tracking.reportError(error, request);
    next();
    return;
  }
  // The visit (and its cookie) must be settled before the route can send headers. With a
  // synchronous consent (the default) it already is; otherwise this costs microtasks only.
  if (ready === undefined) next();
  else ready.then(() => next()).catch((error: unknown) => tracking.reportError(error, request));
}
