import { afterAll } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineHostileInputSuite, HOSTILE_TRACK_ID, type HostileShop } from '../src/hostile-suite.js';
// The Next engineer's harness: one `next build` of examples/next per run, then `next start`.
import { EXAMPLE_DIR, startExample, stopAllExamples } from '../../next/test/next-app.js';

async function start(trackId: string, trackDomain: string, trustProxy: false | 'loopback'): Promise<HostileShop> {
  const shop = await startExample('node', { trackId, trackDomain, trustProxy, transport: 'direct' });
  return { url: shop.url, port: Number(new URL(shop.url).port), drain: async () => undefined, close: () => shop.close() };
}

// The built examples/next (proxy.ts on Node.js) behind `next start`. `direct` transport: each
// hit is sent right after its response, so the suite's sentinel page view marks "all sent".
defineHostileInputSuite({
  name: 'examples/next (next build + next start, proxy.ts)',
  pixel: existsSync(join(EXAMPLE_DIR, 'app', 'mapp', 'pixel')),
  pixelForward: false,
  fuzzRuns: 60,
  hitTimeoutMs: 10_000,
  start: ({ trackDomain, trustProxy }) => start(HOSTILE_TRACK_ID, trackDomain, trustProxy),
  // Without a track id the Next tracker logs once and stays off: the same app, no tracking.
  startControl: () => start('', 'http://127.0.0.1:9', false),
});

// The harness holds a cross-process lock on examples/next while a shop runs: release it as
// soon as this file is done, so the Next project's own e2e run (another jest worker) can go on.
afterAll(() => stopAllExamples());
