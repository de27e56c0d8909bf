import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineHostileInputSuite, HOSTILE_TRACK_ID } from '../src/hostile-suite.js';
// The Next engineer's harness: one `next build` of examples/next per run, then `next start`.
import { EXAMPLE_DIR, startExample } from '../../next/test/next-app.js';

// The built examples/next (proxy.ts on Node.js) behind `next start`. `direct` transport: each
// hit is sent right after its response, so the suite's sentinel page view marks "all sent".
defineHostileInputSuite({
  name: 'examples/next (next build + next start, proxy.ts)',
  pixel: existsSync(join(EXAMPLE_DIR, 'app', 'mapp', 'pixel')),
  pixelForward: false,
  fuzzRuns: 60,
  hitTimeoutMs: 10_000,
  start: async ({ trackDomain, trustProxy }) => {
    const shop = await startExample('node', { trackId: HOSTILE_TRACK_ID, trackDomain, trustProxy, transport: 'direct' });
    return { url: shop.url, port: Number(new URL(shop.url).port), drain: async () => undefined, close: () => shop.close() };
  },
});
