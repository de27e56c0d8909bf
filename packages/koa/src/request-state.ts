import type { HitData, RequestContext, Tracker, Visit } from '@mapp-s2s/core';

/**
 * Symbols are registered globally (`Symbol.for`) so that two copies of this package in one
 * app still see each other's marker: mounting twice must never give two hits.
 */
const STATE = Symbol.for('@mapp-s2s/koa.state');
const OPTED_OUT = Symbol.for('@mapp-s2s/koa.opted-out');

/** Everything the adapter keeps for one request. @internal */
export interface RequestState {
  readonly tracker: Tracker;
  readonly context: RequestContext;
  /** `performance.now()` at request start. */
  readonly started: number;
  /** Settles with the visit (or `undefined` when `begin` failed); never rejects. */
  readonly visitReady: Promise<Visit | undefined>;
  visit: Visit | undefined;
  data: HitData;
  optedOut: boolean;
  /** Takes back the visitor cookie this adapter set, if headers are still unsent. */
  readonly takeBackCookie: () => void;
  readonly reportError: (error: unknown) => void;
}

type Carrier = { [STATE]?: RequestState; [OPTED_OUT]?: boolean };

/** The adapter's state of a request, if `mappTracking()` handled it. @internal */
export function getRequestState(req: unknown): RequestState | undefined {
  return typeof req === 'object' && req !== null ? (req as Carrier)[STATE] : undefined;
}

/** @internal */
export function setRequestState(req: object, state: RequestState): void {
  Object.defineProperty(req, STATE, { value: state, configurable: true, enumerable: false });
}

/** @internal */
export function isMarkedOptedOut(req: object): boolean {
  return (req as Carrier)[OPTED_OUT] === true;
}

/**
 * Opts one request out of the page view. Before `mappTracking()` ran it leaves a marker (no
 * visit, no cookie at all); after, it drops the hit and takes back a fresh visitor cookie.
 * @internal
 */
export function optOutRequest(req: object): void {
  const state = getRequestState(req);
  if (!state) {
    (req as Carrier)[OPTED_OUT] = true;
    return;
  }
  state.optedOut = true;
  state.takeBackCookie();
}
