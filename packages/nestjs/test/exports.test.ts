import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { ADAPTER_CORE_TYPES, exportedNames } from '@mapp-s2s/adapter-tests';
import * as adapter from '../src/index.js';

const RUNTIME = ['MappTracker', 'MappTrackingModule', 'NoTracking', 'TrackAs', 'mappPixelProxy'];

describe('@mapp-s2s/nestjs exports', () => {
  it('exports exactly these runtime values', () => {
    expect(Object.keys(adapter).sort()).toEqual(RUNTIME);
  });

  it('exports exactly these names, types included', async () => {
    // Nest's decorators are its own: the core's TrackingDecorator type is not re-exported.
    const core = ADAPTER_CORE_TYPES.filter((name) => name !== 'TrackingDecorator');
    const types = ['MappPixelProxyMiddleware', 'NestPixelProxyOptions', 'NestTrackingAsyncOptions', 'NestTrackingOptions', 'TrackingErrorHandler'];
    expect(await exportedNames(join(__dirname, '..'))).toEqual([...core, ...types, ...RUNTIME].sort());
  }, 30_000); // builds a whole TypeScript program: seconds on a busy machine
});
