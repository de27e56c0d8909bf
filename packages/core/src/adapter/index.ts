/**
 * The framework-neutral half of the Express and Koa adapters: per-request state, page data
 * merging, decorators, error reporting and the request lifecycle. Adapters only convert.
 */
export { createAdapterKit } from './adapter-kit.js';
export type { AdapterKit, AdapterKitSettings } from './adapter-kit.js';
export type { AdapterErrorHandler, AdapterTrackingOptions } from './adapter-options.js';
export type { TrackingDecorator, TrackingDecorators, TrackingDecoratorSettings } from './decorators.js';
export type { PageHitData } from './page-hit-data.js';
export type { PageTracking } from './page-tracking.js';
export type { FrameworkTrustWarning } from './proxy-trust-check.js';
export type { RequestState, RequestStateStore } from './request-state.js';
export { createRequestTracking } from './request-tracking.js';
export type { RequestTracking, RequestTrackingSettings, ResponseCookies, ResponseFacts } from './request-tracking.js';
