export { mappTracking, withMappTracking } from './middleware.js';
export { createNextTracker } from './next-tracker.js';
export { MAPP_MATCHER, mappConfig } from './matcher.js';
export { createPixelRoute } from './pixel-route.js';
export type { NextPixelRouteOptions, PixelRouteHandler, PixelRouteHandlers } from './pixel-route.js';
export type {
  MappMiddleware,
  NextMiddlewareLike,
  NextMiddlewareResult,
  NextTracker,
  NextTrackerOptions,
  NextTrackingOptions,
  RequestSource,
} from './types.js';
export type {
  ConsentLevel,
  HitData,
  OrderData,
  PageData,
  ProductData,
  RequestContext,
  TrackResult,
  Tracker,
  TrackerOptions,
  Visit,
} from '@mapp-s2s/core';
