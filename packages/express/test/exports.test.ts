import { describe, expect, it } from '@jest/globals';
import * as adapter from '../src/index.js';

describe('@mapp-s2s/express exports', () => {
  it('exports exactly these runtime values', () => {
    expect(Object.keys(adapter).sort()).toEqual(['NoTracking', 'TrackAs', 'mappTracking', 'noTracking', 'trackEvent', 'trackPage']);
  });
});
