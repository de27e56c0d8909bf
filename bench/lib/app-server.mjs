/**
 * Hello-world app server for the middleware-overhead benchmark (child process).
 * argv: <express|koa> <bare|direct|batch|spool> <sinkOrigin> <spoolDir>
 * Serves one small HTML page at `/`; with a transport, `mappTracking()` is mounted in
 * front of it exactly as the README shows. On `stop` it closes the tracker (so every hit
 * is flushed) and reports the tracker's counters.
 */
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveParent } from './child.mjs';
import { TRACK_ID } from './constants.mjs';

const [framework, variant, sinkOrigin, spoolDir] = process.argv.slice(2);

const HTML = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hello</title></head><body><h1>Hello, world</h1></body></html>';

function trackingOptions() {
  const options = {
    trackId: TRACK_ID,
    trackDomain: sinkOrigin,
    transport: variant,
    trustProxy: false,
    // Tracking failures must not spam the benchmark output; they are counted instead.
    onError: () => {},
    logger: { debug() {}, warn() {}, error() {} },
  };
  if (variant === 'spool') options.spool = { dir: spoolDir };
  // Experiments only (not used by `pnpm bench`): extra tracker options as JSON.
  if (process.env.BENCH_TRACKER_OPTIONS) Object.assign(options, JSON.parse(process.env.BENCH_TRACKER_OPTIONS));
  return options;
}

let tracker;
let server;
/** Pages this server answered: the number of hits that must arrive. */
let served = 0;

if (framework === 'express') {
  const { default: express } = await import('express');
  const app = express();
  if (variant !== 'bare') {
    const { mappTracking } = await import('@mapp-s2s/express');
    const middleware = mappTracking(trackingOptions());
    tracker = middleware.tracker;
    app.use(middleware);
  }
  app.get('/', (req, res) => {
    served++;
    res.type('html').send(HTML);
  });
  server = app.listen(0, '127.0.0.1');
} else if (framework === 'koa') {
  const { default: Koa } = await import('koa');
  const app = new Koa();
  if (variant !== 'bare') {
    const { mappTracking } = await import('@mapp-s2s/koa');
    const middleware = mappTracking(trackingOptions());
    tracker = middleware.tracker;
    app.use(middleware);
  }
  app.use((ctx) => {
    if (ctx.path !== '/') return;
    served++;
    ctx.type = 'html';
    ctx.body = HTML;
  });
  server = app.listen(0, '127.0.0.1');
} else {
  throw new Error(`unknown framework ${framework}`);
}
await once(server, 'listening');

function countSpoolLines() {
  if (variant !== 'spool') return undefined;
  let lines = 0;
  for (const name of readdirSync(spoolDir)) {
    const text = readFileSync(join(spoolDir, name), 'utf8');
    for (const line of text.split('\n')) if (line.startsWith('wt?')) lines++;
  }
  return lines;
}

serveParent(
  {
    stats() {
      return tracker === undefined ? undefined : tracker.stats();
    },
    /** CPU time of this process and pages served so far: their deltas give CPU per request. */
    cpu() {
      const { user, system } = process.cpuUsage();
      return { cpuUs: user + system, userUs: user, systemUs: system, served };
    },
    async stop() {
      let stats;
      if (tracker !== undefined) {
        await tracker.close({ timeout: 10_000 });
        stats = tracker.stats();
      }
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
      return { served, stats, spoolLines: countSpoolLines() };
    },
  },
  { port: server.address().port },
);
