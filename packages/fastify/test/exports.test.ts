import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { ADAPTER_CORE_TYPES, exportedNames } from '@mapp-s2s/adapter-tests';
import * as adapter from '../src/index.js';

const RUNTIME = ['NoTracking', 'TrackAs', 'mappPixelProxy', 'mappTracking', 'noTracking', 'trackEvent', 'trackPage'];

describe('@mapp-s2s/fastify exports', () => {
  it('exports exactly these runtime values', () => {
    expect(Object.keys(adapter).sort()).toEqual(RUNTIME);
  });

  it('exports exactly these names, types included', async () => {
    const types = ['FastifyPixelProxyOptions', 'FastifyTrackingOptions', 'NoTrackingHook', 'TrackingErrorHandler'];
    expect(await exportedNames(join(__dirname, '..'))).toEqual([...ADAPTER_CORE_TYPES, ...types, ...RUNTIME].sort());
  }, 30_000); // builds a whole TypeScript program: seconds on a busy machine
});
