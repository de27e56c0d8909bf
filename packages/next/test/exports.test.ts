import { describe, expect, it } from '@jest/globals';
import * as api from '@mapp-s2s/next';

describe('@mapp-s2s/next exports', () => {
  it('exports exactly the documented runtime API', () => {
    expect(Object.keys(api).sort()).toEqual(['MAPP_MATCHER', 'createNextTracker', 'createPixelRoute', 'mappConfig', 'mappTracking', 'withMappTracking']);
  });
});
