#!/usr/bin/env node
/**
 * The core's share of one tracked page view, alone in a loop: `fromNodeRequest` of a request
 * with Chrome's ~15 navigation headers, then the tracker's `begin` and `end` (line built and
 * handed to a transport that only keeps it). Meant for counting instructions, which this noisy
 * 2-core machine cannot disturb:
 *
 *   N=20000 valgrind --tool=callgrind --callgrind-out-file=/dev/null node --single-threaded bench/core-path.mjs returning
 *   N=60000 valgrind ... (same)
 *
 * (instructions at 60000 − at 20000) / 40000 = instructions per page view, startup excluded.
 * `CORE=<path to a core dist/node/index.js>` measures another build (e.g. a worktree of an older
 * commit). Without valgrind it prints ns per page view.
 */
import { pathToFileURL } from 'node:url';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const core = await import(pathToFileURL(process.env.CORE ?? join(ROOT, 'packages/core/dist/node/index.js')).href);
const mode = process.argv[2] === 'new' ? 'new' : 'returning';
const n = Number(process.env.N ?? 300_000);

const headers = {
  host: 'shop.example.com',
  connection: 'keep-alive',
  'sec-ch-ua': '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
  'sec-ch-ua-mobile': '?0',
  'sec-ch-ua-platform': '"Linux"',
  'upgrade-insecure-requests': '1',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'sec-fetch-site': 'none',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-user': '?1',
  'sec-fetch-dest': 'document',
  'accept-encoding': 'gzip, deflate, br, zstd',
  'accept-language': 'en-US,en;q=0.9',
  cookie: mode === 'new' ? '_ga=GA1.1.123.456; session=abc' : 'wtstp_eid=2157840760747614879; _ga=GA1.1.123.456; session=abc',
};
const req = { method: 'GET', url: '/products/sku-1?ref=home', headers, socket: { remoteAddress: '203.0.113.9', encrypted: true } };
let kept = 0;
const transport = () => ({
  name: 'keep',
  send(hit) {
    kept += hit.line.length > 0 ? 1 : 0;
    return Promise.resolve({ status: 'sent' });
  },
  flush: async () => {},
  close: async () => {},
});
const tracker = core.createTracker({ trackId: '123451234512345', trackDomain: 'http://127.0.0.1:9', transport, trustProxy: false, logger: { debug() {}, warn() {}, error() {} } }, {});
const internals = tracker[Symbol.for('@mapp-s2s/core.tracker-internals')];

const started = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  const ctx = core.fromNodeRequest(req);
  const memo = { facts: undefined };
  const visit = internals.beginNow(ctx, memo);
  const done = { method: ctx.method, url: ctx.url, absoluteTarget: ctx.absoluteTarget, headers: ctx.headers, cookies: ctx.cookies, remoteAddress: ctx.remoteAddress, status: 200, contentType: 'text/html; charset=utf-8', durationMs: 1 };
  internals.endQuietly(done, visit, {}, memo);
}
const ns = Number(process.hrtime.bigint() - started) / n;
await tracker.close();
console.log(`core path, ${mode} visitor: ${ns.toFixed(0)} ns per page view over ${n} (${kept} lines built)`);
