import type { HitData, RequestContext, Tracker, Visit } from '../types.js';

/** Everything an adapter keeps for one request. @internal */
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
  /** Takes back the visitor cookie the adapter set, if headers are still unsent. */
  readonly takeBackCookie: () => void;
  readonly reportError: (error: unknown) => void;
}

/**
 * Where an adapter keeps its per-request state: on the framework's request object (Express
 * `req`, Koa `ctx`), under symbols, so it never clashes with the app's own properties.
 * @internal
 */
export interface RequestStateStore {
  /** The state of a request, if `mappTracking()` handled it. */
  get(carrier: unknown): RequestState | undefined;
  set(carrier: object, state: RequestState): void;
  /** Whether `optOut` ran before `mappTracking()` did. */
  isMarkedOptedOut(carrier: object): boolean;
  /**
   * Opts one request out of the page view. Before `mappTracking()` ran it leaves a marker (no
   * visit, no cookie at all); after, it drops the hit and takes back a fresh visitor cookie.
   */
  optOut(carrier: object): void;
}

/**
 * Creates the state store of one adapter. `holderOf` picks the object that holds the state
 * for a carrier (default: the carrier itself). `namespace` (e.g. `'@mapp-s2s/express'`) names
 * global symbols (`Symbol.for`), so two copies of an adapter in one app still see each
 * other's marker: mounting twice must never give two hits.
 * @internal
 */
export function createRequestStateStore(namespace: string, holderOf?: (carrier: object) => object | undefined): RequestStateStore {
  const STATE = Symbol.for(`${namespace}.state`);
  const OPTED_OUT = Symbol.for(`${namespace}.opted-out`);
  type Carrier = { [STATE]?: RequestState; [OPTED_OUT]?: boolean };
  // Where the symbols go: the carrier itself, or an object the framework keeps per request
  // (Express: `res.locals`, reachable from `req` and `res` alike).
  const holder = holderOf === undefined ? (carrier: object): Carrier => carrier as Carrier : (carrier: object): Carrier => (holderOf(carrier) ?? carrier) as Carrier;
  const get = (carrier: unknown): RequestState | undefined => (typeof carrier === 'object' && carrier !== null ? holder(carrier)[STATE] : undefined);
  return {
    get,
    // A plain store under a symbol (invisible to for-in, Object.keys and JSON), not
    // defineProperty: that is a slow runtime call on every request. Not a WeakMap either:
    // its entries cost the garbage collector far more per request than the property does
    // (measured in bench/request-path.mjs: +30 µs per Koa request, +20 µs per Express request).
    set: (carrier, state) => {
      holder(carrier)[STATE] = state;
    },
    isMarkedOptedOut: (carrier) => holder(carrier)[OPTED_OUT] === true,
    optOut: (carrier) => {
      const state = get(carrier);
      if (!state) {
        holder(carrier)[OPTED_OUT] = true;
        return;
      }
      state.optedOut = true;
      state.takeBackCookie();
    },
  };
}
