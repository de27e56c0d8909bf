#!/usr/bin/env node
/**
 * CPU profile of the in-process request path (bench/request-path.mjs) of one tracked app:
 *   node bench/profile-request-path.mjs [--framework=koa] [--variant=batch] [--visitors=returning] [--requests=200000] [--top=30]
 * Prints the top self-time entries of the tracked code and everything else, per request.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import { startChild } from './lib/child.mjs';
import { summarize } from './profile.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const framework = arg('framework', 'koa');
const variant = arg('variant', 'batch');
const mode = arg('visitors', 'returning');
const requests = Number(arg('requests', '200000'));
const top = Number(arg('top', '30'));

const { createAppForBench, measureRequests } = await import('./request-path.mjs');
const sink = await startChild(join(BENCH, 'lib/sink.mjs'));
const spoolDir = mkdtempSync(join(tmpdir(), 'mapp-prp-'));
try {
  const { port } = await sink.call('open', { name: 'p', ids: false });
  const app = await createAppForBench(framework, variant, `http://127.0.0.1:${port}`, spoolDir);
  await measureRequests(app, mode, 5000);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const us = await measureRequests(app, mode, requests);
  const { profile } = await session.post('Profiler.stop');
  const summary = summarize(profile, top);
  console.log(`${framework} + ${variant}, ${mode}: ${us.toFixed(2)} µs CPU per request`);
  const per = (count) => ((count * summary.intervalUs) / requests).toFixed(2);
  console.log('| µs/request | Category |');
  for (const [name, count] of Object.entries(summary.categories)) console.log(`| ${per(count)} | ${name} |`);
  console.log('\n| µs/request | Function |');
  for (const row of summary.top) console.log(`| ${(row.percent * us / 100).toFixed(2)} | \`${row.entry}\` |`);
  await app.tracker?.close({ timeout: 5000 });
} finally {
  await sink.kill();
  rmSync(spoolDir, { recursive: true, force: true });
}
