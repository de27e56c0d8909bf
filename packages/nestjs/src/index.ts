export { MappTrackingModule } from './module.js';
export { MappTracker } from './mapp-tracker.js';
export { NoTracking, TrackAs } from './decorators.js';
export { mappPixelProxy, type MappPixelProxyMiddleware, type NestPixelProxyOptions } from './pixel-proxy.js';
export type { NestTrackingAsyncOptions, NestTrackingOptions, TrackingErrorHandler } from './options.js';
// The core types users need, so that one install and one import do (STYLE.md §18).
export type { TrackerOptions, CookieOptions, ConsentLevel, TrustProxy, ProxyHeaders, Logger } from '@mapp-s2s/core';
export type { HitData, PageHitData, PageData, OrderData, ProductData } from '@mapp-s2s/core';
export type { Tracker, TrackerEvent, TrackResult, RequestContext, Visit } from '@mapp-s2s/core';
