export { mappTracking } from './middleware.js';
export type { MappTrackingMiddleware } from './middleware.js';
export type { MappStateHelpers } from './state-helpers.js';
export { trackPage, trackEvent } from './track-page.js';
export { noTracking } from './no-tracking.js';
export { NoTracking, TrackAs } from './decorators.js';
export { mappPixelProxy } from './pixel-proxy.js';
export type { KoaPixelProxyOptions, MappPixelProxyMiddleware } from './pixel-proxy.js';
export type { TrackingDecorator } from './decorators.js';
export type { KoaTrackingOptions, PageHitData, TrackingErrorHandler } from './options.js';
export type {
  ConsentLevel,
  CookieOptions,
  HitData,
  Logger,
  OrderData,
  PageData,
  ProductData,
  RequestContext,
  Tracker,
  TrackerEvent,
  TrackerOptions,
  TrackResult,
  TrustProxy,
  Visit,
} from '@mapp-s2s/core';
