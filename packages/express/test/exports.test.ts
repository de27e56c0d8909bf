import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { ADAPTER_CORE_TYPES, exportedNames } from '@mapp-s2s/adapter-tests';
import * as adapter from '../src/index.js';

describe('@mapp-s2s/express exports', () => {
  it('exports exactly these runtime values', () => {
    expect(Object.keys(adapter).sort()).toEqual(['NoTracking', 'TrackAs', 'mappPixelProxy', 'mappTracking', 'noTracking', 'trackEvent', 'trackPage']);
  });

  it('exports exactly these names, types included', async () => {
    expect(await exportedNames(join(__dirname, '..'))).toEqual([...ADAPTER_CORE_TYPES, 'ExpressPixelProxyOptions', 'ExpressTrackingOptions', 'MappPixelProxyMiddleware', 'MappTrackingMiddleware', 'NoTracking', 'TrackAs', 'TrackingErrorHandler', 'mappPixelProxy', 'mappTracking', 'noTracking', 'trackEvent', 'trackPage'].sort());
  }, 30_000); // builds a whole TypeScript program: seconds on a busy machine
});
