/**
 * @mapp-s2s/reliability (private, never published): the helpers behind `pnpm test:reliability`.
 * Tests import them from here; other packages have no reason to.
 */
export { allowedClientIps, isLoopback, normalizeIp } from './client-ip.js';
export { defineHostileInputSuite, HOSTILE_TRACK_ID } from './hostile-suite.js';
export type { HostileShop, HostileTarget } from './hostile-suite.js';
export { hostileBytes, hostileCookie, hostileHeader, INVALID_UTF8, spoofedForwarding, spoofedForwardingPair } from './hostile-inputs.js';
export { runConcurrent, waitUntil } from './load.js';
export { countMarkers, deliveryReport, markerOf } from './markers.js';
export { report } from './notes.js';
export { BROWSER_HEADER_LINES, buildRequest, rawRequest } from './raw-http.js';
export type { RawResponse } from './raw-http.js';
export { startCountingServer, startRecordingProxy } from './recording-proxy.js';
export type { CountingServer, RecordedRequest, RecordingProxy } from './recording-proxy.js';
export { inProcessTarget, startShop } from './shops.js';
export type { InProcessShop, ShopOptions } from './shops.js';
