import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { exportedNames } from '@mapp-s2s/adapter-tests';
import * as adapter from '../src/index.js';

describe('@mapp-s2s/express exports', () => {
  it('exports exactly these runtime values', () => {
    expect(Object.keys(adapter).sort()).toEqual(['NoTracking', 'TrackAs', 'mappPixelProxy', 'mappTracking', 'noTracking', 'trackEvent', 'trackPage']);
  });

  it('exports exactly these names, types included', async () => {
    expect(await exportedNames(join(__dirname, '..'))).toEqual([
      'ConsentLevel',
      'CookieOptions',
      'ExpressPixelProxyOptions',
      'ExpressTrackingOptions',
      'HitData',
      'Logger',
      'MappPixelProxyMiddleware',
      'MappTrackingMiddleware',
      'NoTracking',
      'OrderData',
      'PageData',
      'PageHitData',
      'ProductData',
      'ProxyHeaders',
      'RequestContext',
      'TrackAs',
      'TrackResult',
      'Tracker',
      'TrackerEvent',
      'TrackerOptions',
      'TrackingDecorator',
      'TrackingErrorHandler',
      'TrustProxy',
      'Visit',
      'mappPixelProxy',
      'mappTracking',
      'noTracking',
      'trackEvent',
      'trackPage',
    ]);
  }, 30_000); // builds a whole TypeScript program: seconds on a busy machine
});
