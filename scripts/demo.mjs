#!/usr/bin/env node
// `pnpm demo`: the local collector with its inspector, plus the Express example shop sending
// hits to it through the batch transport. `pnpm demo --traffic` also simulates visitors.
// Ctrl-C stops everything (the shop flushes its last hits first).
//
//   node scripts/demo.mjs [--traffic] [--port 9700] [--shop-port 3000] [--db .tmp/demo/hits.sqlite]
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tsImport } from 'tsx/esm/api';
import { runTraffic } from './traffic.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TRACK_ID = '123451234512345';
const SHOP_DIR = join(root, 'examples', 'express');

const { values: args } = parseArgs({
  options: {
    traffic: { type: 'boolean', default: false },
    port: { type: 'string', default: '9700' },
    'shop-port': { type: 'string', default: '3000' },
    db: { type: 'string', default: join(root, '.tmp', 'demo', 'hits.sqlite') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('Usage: pnpm demo [--traffic] [--port 9700] [--shop-port 3000] [--db .tmp/demo/hits.sqlite]');
  process.exit(0);
}

/** `preferred` if it is free on loopback, else a free port chosen by the OS. */
function freePort(preferred) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => {
      const any = createServer();
      any.listen(0, '127.0.0.1', () => {
        const { port } = any.address();
        any.close(() => resolve(port));
      });
    });
    probe.listen(preferred, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers (any status) or `timeoutMs` passes. */
async function waitForHttp(url, timeoutMs, isAlive = () => true) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && isAlive()) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return false;
}

const dim = (text) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text);
const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

// 1. The collector, in this process, from the sources (tsx), so the demo always matches the checkout.
const { startCollector } = await tsImport('../packages/collector/src/index.ts', import.meta.url);
for (const suffix of ['', '-wal', '-shm']) rmSync(`${args.db}${suffix}`, { force: true });
mkdirSync(dirname(args.db), { recursive: true });
const collectorPort = await freePort(Number(args.port));
const collector = await startCollector({ port: collectorPort, db: args.db });

// 2. The Express example shop, as its own process group so Ctrl-C handling stays ours and
//    nothing survives us. `node --import tsx` is what `pnpm --dir examples/express start` runs,
//    without the pnpm and tsx wrapper processes in between (they do not all forward signals).
const shopPort = await freePort(Number(args['shop-port']));
const shop = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
  cwd: SHOP_DIR,
  detached: true,
  stdio: ['ignore', 'pipe', 'pipe'],
  env: {
    ...process.env,
    PORT: String(shopPort),
    MAPP_TRACK_ID: TRACK_ID,
    MAPP_TRACK_DOMAIN: collector.url,
    MAPP_TRANSPORT: 'batch',
    MAPP_FLUSH_INTERVAL: '500',
    MAPP_TRUST_PROXY: 'loopback',
    NODE_ENV: 'production', // as the example's `start` script sets it
  },
});
let shopExited = false;
const shopExit = new Promise((resolve) => shop.once('exit', (code, signal) => ((shopExited = true), resolve({ code, signal }))));
const prefix = (stream) => {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) if (line.trim() !== '') console.log(dim(`[shop] ${line}`));
  });
};
prefix(shop.stdout);
prefix(shop.stderr);
// Last resort if this process dies without the orderly stop below.
process.on('exit', () => {
  if (!shopExited) {
    try {
      process.kill(-shop.pid, 'SIGKILL');
    } catch {}
  }
});

const traffic = new AbortController();
let stopping;
async function stop(reason, code = 0) {
  stopping ??= (async () => {
    console.log(`\nStopping the demo (${reason})…`);
    traffic.abort();
    if (!shopExited) {
      try {
        process.kill(-shop.pid, 'SIGTERM');
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-shop.pid, 'SIGKILL');
        } catch {}
      }, 8000);
      await shopExit;
      clearTimeout(timer);
    }
    await collector.close();
    console.log('Demo stopped.');
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void stop('Ctrl-C'));
process.on('SIGTERM', () => void stop('SIGTERM'));
shopExit.then(({ code, signal }) => {
  if (!stopping) void stop(`the shop exited with ${signal ?? `code ${code}`}`, 1);
});

const shopUrl = `http://127.0.0.1:${shopPort}`;
if (!(await waitForHttp(`${shopUrl}/health`, 60_000, () => !shopExited))) {
  console.error('The example shop did not start within 60 s (see its output above).');
  await stop('shop did not start', 1);
}

const dbShown = relative(process.cwd(), args.db) || args.db;
console.log(`
${bold('mapp-s2s demo is running')}
  Shop:      ${shopUrl}/
  Inspector: ${collector.url}/
  Hits DB:   ${dbShown}   ${dim(`(sqlite3 ${dbShown} "select id, type, page_name, eid from hits")`)}

Open the shop, click around: each page shows up in the inspector within a second.
Press Ctrl-C to stop.
`);

// 3. Optional visitor simulation.
if (args.traffic) {
  console.log('Simulating visitors…');
  const summary = await runTraffic({ shopUrl, log: (line) => console.log(dim(line)), signal: traffic.signal });
  if (!traffic.signal.aborted) {
    // The shop batches hits (500 ms): wait until the count stops moving.
    let last = -1;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const count = collector.hits().length;
      if (count === last) break;
      last = count;
    }
    const stats = await (await fetch(`${collector.url}/_control/stats`)).json();
    console.log(
      `Traffic done: ${summary.requests} requests by ${summary.visitors} visitors. ` +
        `The inspector shows ${stats.total} hits: ${stats.byType.page} page views, ${stats.byType.event} events, ` +
        `${stats.byType.order} orders, ${stats.withProblems} with problems, ${stats.visitors} visitors with an eid.`,
    );
  }
}
