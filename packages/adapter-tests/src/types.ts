import type { TrustProxy } from '@mapp-s2s/core';

/** What the suite tells a shop when starting it. */
export interface ShopEnv {
  /** 15-digit track id the shop must use. */
  trackId: string;
  /** Origin of the local collector, e.g. `http://127.0.0.1:41234`. */
  trackDomain: string;
  /** The shop's `trustProxy` setting (`'loopback'` for the trusted shop, `false` for the other). */
  trustProxy: TrustProxy;
  /** The suite uses `direct` so every hit reaches the collector right after its response. */
  transport: 'direct' | 'batch' | 'spool';
}

/** A shop the suite can talk to over HTTP. */
export interface RunningShop {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:39817`. Must be a loopback address. */
  url: string;
  /** Stops the server and closes its tracker (flushing what is queued). */
  close(): Promise<void>;
}

/** How an adapter plugs into the suite. */
export interface AdapterSuiteOptions {
  /** Shown in the test names, e.g. `express 5`. */
  name: string;
  /**
   * Starts the example shop (routes in the package README) pointed at the collector. Called
   * twice per suite: once with `trustProxy: 'loopback'`, once with `trustProxy: false`.
   */
  startShop(env: ShopEnv): Promise<RunningShop>;
  /** Deadline for one expected hit to arrive, in ms. @default 5000 */
  hitTimeoutMs?: number;
}
