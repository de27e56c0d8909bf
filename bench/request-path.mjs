#!/usr/bin/env node
/**
 * The server CPU a tracked page view costs, measured in process (issue 13).
 *
 *   node bench/request-path.mjs [--framework=koa|express|both] [--requests=20000] [--rounds=5]
 *
 * Each variant (bare, `batch`, `spool`, `direct`) is its own app in this process; requests
 * run through the real `IncomingMessage`/`ServerResponse` over a socket that swallows the
 * response (bench/lib/inproc.mjs), so no load generator and no kernel networking share the
 * measurement. Hits really go out: `batch` and `direct` to a sink in its own process, `spool`
 * to files. CPU time of this process (`process.cpuUsage`) per request, in rounds that rotate
 * the order of the variants; the median round is reported, and the difference to bare is what
 * tracking costs. Returning visitors send an eid cookie; new visitors get one minted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './lib/child.mjs';
import { TRACK_ID } from './lib/constants.mjs';
import { pageHeaders } from './lib/overhead.mjs';
import { createSinkSocket, runRequest } from './lib/inproc.mjs';
import { median } from './lib/stats.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const VARIANTS = ['bare', 'batch', 'spool', 'direct'];
const HTML = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hello</title></head><body><h1>Hello, world</h1></body></html>';

/** What an HTTP/1.1 client sends, plus the browser navigation of part 1. */
function headersFor(mode) {
  return { host: '127.0.0.1:3000', connection: 'keep-alive', ...pageHeaders(mode) };
}

async function createApp(framework, variant, origin, spoolDir) {
  const require = createRequire(join(ROOT, 'packages', framework, 'package.json'));
  const options = { trackId: TRACK_ID, trackDomain: origin, transport: variant, trustProxy: false, onError: () => {}, logger: { debug() {}, warn() {}, error() {} }, flushOnExit: false };
  if (variant === 'spool') options.spool = { dir: spoolDir };
  let tracker;
  if (framework === 'express') {
    const express = require('express');
    const app = express();
    if (variant !== 'bare') {
      const { mappTracking } = await import(join(ROOT, 'packages/express/dist/index.js'));
      const middleware = mappTracking(options);
      tracker = middleware.tracker;
      app.use(middleware);
    }
    app.get('/', (req, res) => res.type('html').send(HTML));
    return { handler: app, tracker };
  }
  const Koa = require('koa');
  const app = new Koa();
  if (variant !== 'bare') {
    const { mappTracking } = await import(join(ROOT, 'packages/koa/dist/index.js'));
    const middleware = mappTracking(options);
    tracker = middleware.tracker;
    app.use(middleware);
  }
  app.use((ctx) => {
    ctx.type = 'html';
    ctx.body = HTML;
  });
  return { handler: app.callback(), tracker };
}

/** CPU µs of this process per request for `count` requests (8 in flight, as connections would be). */
async function measure(app, sockets, mode, count) {
  const headers = headersFor(mode);
  const cpu0 = process.cpuUsage();
  let next = 0;
  await Promise.all(
    sockets.map(async (socket) => {
      while (next < count) {
        next += 1;
        await runRequest(app.handler, socket, '/', headers);
      }
    }),
  );
  // Let background sends of this round happen inside its measurement.
  await app.tracker?.flush();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / count;
}

export async function benchRequestPath({ frameworks, requests, rounds, log = console.log }) {
  const sink = await startChild(join(BENCH, 'lib/sink.mjs'));
  const spoolDir = mkdtempSync(join(tmpdir(), 'mapp-request-path-'));
  const results = {};
  try {
    for (const framework of frameworks) {
      const apps = {};
      for (const variant of VARIANTS) {
        const { port } = await sink.call('open', { name: `rp-${framework}-${variant}`, ids: false });
        apps[variant] = await createApp(framework, variant, `http://127.0.0.1:${port}`, join(spoolDir, `${framework}-${variant}`));
      }
      // One socket per request in flight, as keep-alive connections would be.
      const socket = Array.from({ length: 8 }, () => createSinkSocket('127.0.0.1'));
      for (const mode of ['returning', 'new']) {
        const samples = Object.fromEntries(VARIANTS.map((v) => [v, []]));
        for (const variant of VARIANTS) await measure(apps[variant], socket, mode, Math.min(2000, requests)); // warm-up
        for (let round = 0; round < rounds; round++) {
          const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
          for (const variant of order) samples[variant].push(await measure(apps[variant], socket, mode, requests));
        }
        const usPerRequest = Object.fromEntries(VARIANTS.map((v) => [v, median(samples[v])]));
        // Per round: the variant minus the bare app of the same round, then the median.
        const addedUs = Object.fromEntries(VARIANTS.filter((v) => v !== 'bare').map((v) => [v, median(samples[v].map((x, i) => x - samples.bare[i]))]));
        results[`${framework}/${mode}`] = { framework, mode, usPerRequest, addedUs, samples };
        log(`  ${framework} ${mode.padEnd(9)} bare ${usPerRequest.bare.toFixed(1)} µs/request; added by tracking: ${VARIANTS.filter((v) => v !== 'bare').map((v) => `${v} +${addedUs[v].toFixed(1)} µs`).join(', ')}`);
      }
      for (const variant of VARIANTS) await apps[variant].tracker?.close({ timeout: 10_000 });
    }
  } finally {
    await sink.kill();
    rmSync(spoolDir, { recursive: true, force: true });
  }
  return { requests, rounds, results };
}

/** For bench/profile-request-path.mjs: one app, and a measurement on fresh sockets. */
export const createAppForBench = createApp;
export function measureRequests(app, mode, count) {
  return measure(app, Array.from({ length: 8 }, () => createSinkSocket('127.0.0.1')), mode, count);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const which = arg('framework', 'both');
  const frameworks = which === 'both' ? ['express', 'koa'] : [which];
  await benchRequestPath({ frameworks, requests: Number(arg('requests', '20000')), rounds: Number(arg('rounds', '5')) });
}
