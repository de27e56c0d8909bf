export { mappTracking, type MappTrackingMiddleware } from './middleware.js';
export { trackPage, trackEvent } from './track-page.js';
export { noTracking } from './no-tracking.js';
export { NoTracking, TrackAs } from './decorators.js';
export { mappPixelProxy, type HonoPixelProxyOptions, type MappPixelProxyMiddleware } from './pixel-proxy.js';
export type { HonoTrackingOptions, TrackingErrorHandler } from './options.js';
// The core types users need, so that one install and one import do (STYLE.md §18).
export type { TrackerOptions, CookieOptions, ConsentLevel, TrustProxy, ProxyHeaders, Logger } from '@mapp-s2s/core';
export type { HitData, PageHitData, PageData, OrderData, ProductData, TrackingDecorator } from '@mapp-s2s/core';
export type { Tracker, TrackerEvent, TrackResult, RequestContext, Visit } from '@mapp-s2s/core';
