import { createTrackingDecorators, type TrackingDecorators } from './decorators.js';
import { createPageTracking, type PageTracking } from './page-tracking.js';
import { createRequestStateStore, type RequestStateStore } from './request-state.js';

/** Describes one adapter to `createAdapterKit()`. @internal */
export interface AdapterKitSettings {
  /** Names the per-request symbols, e.g. `'@mapp-s2s/express'`. */
  readonly namespace: string;
  /** How to mount `mappTracking()`, for the warning when a helper runs without it. */
  readonly mountHint: string;
  /** Recognises the framework's request among a decorated handler's arguments. */
  readonly isRequest: (value: unknown) => value is object;
  /** Where a request's state is kept (see `createRequestStateStore`); default the carrier. */
  readonly stateHolder?: (carrier: object) => object | undefined;
}

/** An adapter's per-request helpers, shared by all its `mappTracking()` instances. @internal */
export interface AdapterKit extends PageTracking, TrackingDecorators {
  readonly states: RequestStateStore;
  /** Opts one request out of the page view (what `noTracking()` does). */
  optOut(carrier: object): void;
}

/**
 * Builds the module-level half of an adapter: where request state lives, `trackPage`,
 * `trackEvent`, opt-out and the decorators. The per-middleware half is
 * `createRequestTracking()`.
 * @internal
 */
export function createAdapterKit({ namespace, mountHint, isRequest, stateHolder }: AdapterKitSettings): AdapterKit {
  const states = createRequestStateStore(namespace, stateHolder);
  const pageTracking = createPageTracking(states, mountHint);
  return {
    states,
    ...pageTracking,
    ...createTrackingDecorators({ states, pageTracking, isRequest }),
    optOut: (carrier) => states.optOut(carrier),
  };
}
