import type { RequestFacts } from './request-facts.js';
import type { HitData, RequestContext, Tracker, Visit } from './types.js';

/**
 * Where `beginNow` leaves the request facts it derived, so `endQuietly` does not derive
 * them a second time for the same request. The adapters' request state is one.
 * @internal
 */
export interface FactsMemo {
  facts: RequestFacts | undefined;
}

/**
 * The allocation-light request path of a tracker made by `createTracker`, for the
 * adapters. Same decisions and the same lines as `begin()`/`end()`; it only skips the
 * promises and result objects a middleware does not need. Not part of the `Tracker`
 * contract: a tracker the user built himself has none, and the adapters fall back to
 * `begin()`/`end()`.
 * @internal
 */
export interface TrackerInternals {
  /** The tracker's own `begin`/`end`: when someone replaced them on the object (a wrapper, a spy), theirs are used. */
  readonly begin: Tracker['begin'];
  readonly end: Tracker['end'];
  /**
   * `begin()`, but the visit comes back as a plain value when `consent` and `skip` answer
   * synchronously (the default). Never throws, never rejects.
   */
  beginNow(ctx: RequestContext, memo?: FactsMemo): Visit | Promise<Visit>;
  /**
   * `end()` for a caller that ignores the result: failures still become tracker events,
   * exactly as in `end()`. Never throws.
   */
  endQuietly(ctx: RequestContext, visit: Visit, data: HitData | undefined, memo?: FactsMemo): void;
  /**
   * A route opted out (`noTracking()`, `@NoTracking()`): counted as skipped `route`, and said
   * with `debug`, like every other request that does not become a hit. Never throws.
   */
  skipRoute(ctx: RequestContext): void;
  /**
   * The process is exiting: counts the `count` hits still in memory as dropped `closed`,
   * emits the event (hence the warning line) and says every pending warning summary now.
   * Synchronous; never throws.
   */
  atExit(count: number, detail: string): void;
}

/**
 * Kept on the tracker under a global symbol, not in a module-level map. The package's two
 * entries share one copy of this module per format (tsup `splitting`: `@mapp-s2s/core` and
 * `@mapp-s2s/core/node` import the same chunk), but an app can still load both the ESM and
 * the CommonJS build (an ESM app with a CommonJS dependency that requires the core), and a
 * tracker made by one must be recognised by the adapter code of the other. Non-enumerable, so
 * the tracker still looks exactly like the contract.
 */
const INTERNALS: unique symbol = Symbol.for('@mapp-s2s/core.tracker-internals') as never;

/** Records the fast path of a tracker made here. @internal */
export function registerTrackerInternals(tracker: Tracker, internals: TrackerInternals): void {
  Object.defineProperty(tracker, INTERNALS, { value: internals, enumerable: false, configurable: false, writable: false });
}

/** The fast path of `tracker`, when `createTracker` made it. @internal */
export function trackerInternals(tracker: Tracker): TrackerInternals | undefined {
  const internals = (tracker as { [INTERNALS]?: TrackerInternals })[INTERNALS];
  return typeof internals === 'object' && internals !== null && typeof internals.beginNow === 'function' ? internals : undefined;
}
