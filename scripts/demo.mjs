#!/usr/bin/env node
// `pnpm demo`: the local collector with its inspector, plus the Express example shop sending
// hits to it through the batch transport. `pnpm demo --traffic` also simulates visitors.
// `pnpm demo --fleet`: fleet mode instead: redis-server, two shop processes appending to its
// Redis Streams outbox (MAPP_TRANSPORT=redis) and one shipper (`mapp-s2s ship --from`).
// Ctrl-C stops everything (the shops flush their last hits first, the shipper its last batch).
//
//   node scripts/demo.mjs [--fleet] [--traffic] [--port 9700] [--shop-port 3000] [--db .tmp/demo/hits.sqlite]
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tsImport } from 'tsx/esm/api';
import { startRedis } from './redis-server.mjs';
import { runTraffic } from './traffic.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TRACK_ID = '123451234512345';
const SHOP_DIR = join(root, 'examples', 'express');

const { values: args } = parseArgs({
  options: {
    traffic: { type: 'boolean', default: false },
    fleet: { type: 'boolean', default: false },
    port: { type: 'string', default: '9700' },
    'shop-port': { type: 'string', default: '3000' },
    db: { type: 'string', default: join(root, '.tmp', 'demo', 'hits.sqlite') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('Usage: pnpm demo [--fleet] [--traffic] [--port 9700] [--shop-port 3000] [--db .tmp/demo/hits.sqlite]\n  --fleet  redis-server, two shops with MAPP_TRANSPORT=redis and one shipper (mapp-s2s ship --from)');
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

// 2. In fleet mode: redis-server (AOF on, in .tmp/demo/redis), the outbox of both shops.
const redis = args.fleet ? await startRedis({ dir: join(dirname(args.db), 'redis'), fresh: true, detached: true }) : undefined;

// 3. The Express example shop (two in fleet mode), each as its own process group so Ctrl-C
//    handling stays ours and nothing survives us. `node --import tsx` is what
//    `pnpm --dir examples/express start` runs, without the pnpm and tsx wrapper processes in
//    between (they do not all forward signals).
const processes = [];
function startProcess(label, args, { cwd, env }) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const entry = { label, child, exited: false };
  entry.exit = new Promise((resolve) => child.once('exit', (code, signal) => ((entry.exited = true), resolve({ code, signal }))));
  const prefix = (stream) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      for (const line of lines) if (line.trim() !== '') console.log(dim(`[${label}] ${line}`));
    });
  };
  prefix(child.stdout);
  prefix(child.stderr);
  processes.push(entry);
  return entry;
}
const shopEnv = {
  MAPP_TRACK_ID: TRACK_ID,
  MAPP_TRACK_DOMAIN: collector.url,
  MAPP_TRANSPORT: args.fleet ? 'redis' : 'batch',
  MAPP_FLUSH_INTERVAL: '500',
  MAPP_TRUST_PROXY: 'loopback',
  ...(redis ? { MAPP_REDIS_URL: redis.url, MAPP_REDIS_STREAM: 'mapp:hits', MAPP_REDIS_SHARDS: '4' } : {}),
  NODE_ENV: 'production', // as the example's `start` script sets it
};
const shopUrls = [];
for (let i = 0; i < (args.fleet ? 2 : 1); i += 1) {
  const port = await freePort(Number(args['shop-port']) === 0 ? 0 : Number(args['shop-port']) + i);
  startProcess(args.fleet ? `shop ${i + 1}` : 'shop', ['src/server.ts'], { cwd: SHOP_DIR, env: { ...shopEnv, PORT: String(port) } });
  shopUrls.push(`http://127.0.0.1:${port}`);
}
// 4. In fleet mode: one shipper, the CLI as a user runs it.
if (redis) {
  startProcess('shipper', [join(root, 'packages/cli/src/bin.ts'), 'ship', '--from', redis.url, '--stream', 'mapp:hits', '--shards', '4', '--group', 'mapp-shippers', '--consumer', 'demo-shipper', '--progress', '30000'], {
    cwd: root,
    env: { MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url },
  });
}
// Last resort if this process dies without the orderly stop below.
process.on('exit', () => {
  if (redis?.running()) {
    try {
      process.kill(redis.pid, 'SIGKILL');
    } catch {}
  }
  for (const entry of processes) {
    if (!entry.exited) {
      try {
        process.kill(-entry.child.pid, 'SIGKILL');
      } catch {}
    }
  }
});

const traffic = new AbortController();
let stopping;
async function stopProcess(entry) {
  if (entry.exited) return;
  try {
    process.kill(-entry.child.pid, 'SIGTERM');
  } catch {}
  const timer = setTimeout(() => {
    try {
      process.kill(-entry.child.pid, 'SIGKILL');
    } catch {}
  }, 8000);
  await entry.exit;
  clearTimeout(timer);
}
async function stop(reason, code = 0) {
  stopping ??= (async () => {
    console.log(`\nStopping the demo (${reason})…`);
    traffic.abort();
    // Shops first (they flush into Redis), then the shipper (it ships what is left), then Redis.
    await Promise.all(processes.filter((entry) => entry.label !== 'shipper').map(stopProcess));
    await Promise.all(processes.filter((entry) => entry.label === 'shipper').map(stopProcess));
    await redis?.stop();
    await collector.close();
    console.log('Demo stopped.');
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void stop('Ctrl-C'));
process.on('SIGTERM', () => void stop('SIGTERM'));
for (const entry of processes) {
  entry.exit.then(({ code, signal }) => {
    if (!stopping) void stop(`the ${entry.label} exited with ${signal ?? `code ${code}`}`, 1);
  });
}

const shopUrl = shopUrls[0];
for (const url of shopUrls) {
  if (!(await waitForHttp(`${url}/health`, 60_000, () => processes.every((entry) => !entry.exited)))) {
    console.error('The example shop did not start within 60 s (see its output above).');
    await stop('shop did not start', 1);
  }
}

const dbShown = relative(process.cwd(), args.db) || args.db;
if (redis) {
  console.log(`
${bold('mapp-s2s fleet demo is running')}
  Shop 1:    ${shopUrls[0]}/
  Shop 2:    ${shopUrls[1]}/
  Redis:     ${redis.url}   ${dim('(outbox: {mapp:hits:0} … {mapp:hits:3}; redis-cli -u ' + redis.url + ' xlen "{mapp:hits:0}")')}
  Shipper:   mapp-s2s ship --from ${redis.url} --consumer demo-shipper   ${dim('(its output is prefixed [shipper])')}
  Inspector: ${collector.url}/
  Hits DB:   ${dbShown}

Both shops append their hits to Redis; the shipper posts them to the collector in batches.
Press Ctrl-C to stop.
`);
} else {
  console.log(`
${bold('mapp-s2s demo is running')}
  Shop:      ${shopUrl}/
  Inspector: ${collector.url}/
  Hits DB:   ${dbShown}   ${dim(`(sqlite3 ${dbShown} "select id, type, page_name, eid from hits")`)}

Open the shop, click around: each page shows up in the inspector within a second.
Press Ctrl-C to stop.
`);
}

// 5. Optional visitor simulation (in fleet mode, on both shops).
if (args.traffic) {
  console.log('Simulating visitors…');
  const runs = await Promise.all(shopUrls.map((url) => runTraffic({ shopUrl: url, log: (line) => console.log(dim(line)), signal: traffic.signal })));
  const summary = { requests: runs.reduce((sum, run) => sum + run.requests, 0), visitors: runs.reduce((sum, run) => sum + run.visitors, 0) };
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
