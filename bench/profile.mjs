#!/usr/bin/env node
/**
 * CPU profile of a tracked app server under load (issue 13: "profile first").
 *
 *   node bench/profile.mjs [--framework=express|koa] [--variant=batch|spool|direct|bare]
 *                          [--visitors=returning|new] [--duration=8] [--top=25] [--out=<file.json>]
 *
 * Starts the benchmark's app server (bench/lib/app-server.mjs) with `--cpu-prof`, loads it
 * with autocannon (50 connections) for `duration` seconds, stops it cleanly so V8 writes the
 * profile, and prints the top self-time entries (function, file:line, % of samples), so
 * before/after tables for BENCHMARKS.md come from one command. Server, sink and load each
 * run in their own process, as in `pnpm bench`.
 */
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './lib/child.mjs';
import { pageHeaders } from './lib/overhead.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const framework = arg('framework', 'koa');
const variant = arg('variant', 'batch');
const visitors = arg('visitors', 'returning');
const duration = Number(arg('duration', '8'));
const top = Number(arg('top', '25'));
const out = arg('out', undefined);

/** Which part of the process a sample belongs to, by its function's location. */
function categoryOf(functionName, file) {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'gc';
  if (/packages\/(core|express|koa|next)\/(dist|src)/.test(file)) return 'tracking (ours)';
  if (/_http_client|_http_agent|node-requester|node_modules\/undici\//.test(file)) return 'http client (sending hits)';
  if (/node:internal\/crypto|node:crypto/.test(file)) return 'crypto';
  if (/node_modules\/(koa|express|router|on-finished|delegates|koa-compose|finalhandler|send|accepts|type-is|content-type|depd|statuses|http-errors|cookies|vary|encodeurl|escape-html|fresh|parseurl|qs|body-parser|mime|negotiator)/.test(file)) return 'framework';
  if (/node_modules\/(cookie|isbot|ipaddr\.js)\//.test(file)) return 'tracking deps';
  if (functionName === 'writev' || functionName === 'writeBuffer' || functionName === 'writeUtf8String' || functionName === 'writeLatin1String') return 'socket writes';
  if (/^node:/.test(file) || file === '') return 'node core / runtime';
  return 'other';
}

/** Self time per function (name + location), as a share of all samples. */
export function summarize(profile, limit) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfSamples = new Map();
  for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const byFunction = new Map();
  const byCategory = new Map();
  const entryCategory = new Map();
  for (const [id, count] of selfSamples) {
    const { callFrame } = nodes.get(id);
    const file = callFrame.url.replace(/^file:\/\//, '');
    const category = categoryOf(callFrame.functionName, callFrame.url);
    byCategory.set(category, (byCategory.get(category) ?? 0) + count);
    const where = file === '' ? '' : `${file.includes('node_modules') ? file.slice(file.lastIndexOf('node_modules/') + 13) : relative(ROOT, file)}:${callFrame.lineNumber + 1}`;
    const key = `${callFrame.functionName || '(anonymous)'} ${where}`;
    entryCategory.set(key, category);
    byFunction.set(key, (byFunction.get(key) ?? 0) + count);
  }
  const rows = [...byFunction.entries()].sort((a, b) => b[1] - a[1]);
  const ours = (key) => /packages\/(core|express|koa)\/(dist|src)/.test(key);
  const intervalUs = (profile.endTime - profile.startTime) / Math.max(1, total);
  return {
    total,
    intervalUs,
    categories: Object.fromEntries([...byCategory.entries()].sort((a, b) => b[1] - a[1]).map(([name, count]) => [name, count])),
    top: rows.slice(0, limit).map(([key, count]) => ({ entry: key, percent: (100 * count) / total })),
    oursPercent: (100 * rows.filter(([key]) => ours(key)).reduce((sum, [, count]) => sum + count, 0)) / total,
    byCategoryTop: Object.fromEntries([...byCategory.keys()].map((name) => [name, rows.filter(([key]) => entryCategory.get(key) === name).slice(0, limit).map(([key, count]) => ({ entry: key, usPerSample: count }))])),
    oursTop: rows.filter(([key]) => ours(key)).slice(0, limit).map(([key, count]) => ({ entry: key, percent: (100 * count) / total })),
  };
}

async function main() {
  const profDir = mkdtempSync(join(tmpdir(), 'mapp-prof-'));
  const spoolDir = mkdtempSync(join(tmpdir(), 'mapp-prof-spool-'));
  const sink = await startChild(join(BENCH, 'lib/sink.mjs'));
  try {
    const { port: sinkPort } = await sink.call('open', { name: 'profile', ids: false });
    const server = await startChild(join(BENCH, 'lib/app-server.mjs'), [framework, variant, `http://127.0.0.1:${sinkPort}`, spoolDir], {
      execArgv: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
    });
    const result = await autocannon({ url: `http://127.0.0.1:${server.info.port}/`, headers: pageHeaders(visitors), connections: 50, duration });
    const stopped = await server.call('stop');
    await server.call('exit');
    await server.exited;
    const file = readdirSync(profDir).find((name) => name.endsWith('.cpuprofile'));
    const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8'));
    const summary = summarize(profile, top);
    const report = { framework, variant, visitors, duration, rps: result.requests.average, served: stopped.served, sent: stopped.stats?.sent, summary };
    console.log(`${framework} + ${variant}, ${visitors} visitors: ${Math.round(result.requests.average)} req/s; tracking code (core/express/koa) ${summary.oursPercent.toFixed(1)} % of samples`);
    // CPU per request by category: samples × sampling interval / requests served while profiling.
    const requests = stopped.served;
    console.log('| Category | µs CPU per request |\n| --- | ---: |');
    for (const [name, count] of Object.entries(summary.categories)) if (name !== 'idle') console.log(`| ${name} | ${((count * summary.intervalUs) / requests).toFixed(1)} |`);
    console.log('| Self time | Function |\n| ---: | --- |');
    for (const row of summary.top) console.log(`| ${row.percent.toFixed(1)} % | \`${row.entry}\` |`);
    console.log('\nTracking code only:\n| Self time | Function |\n| ---: | --- |');
    for (const row of summary.oursTop) console.log(`| ${row.percent.toFixed(1)} % | \`${row.entry}\` |`);
    const show = arg('category', undefined);
    if (show !== undefined) {
      console.log(`\nTop of ${show}:\n| µs/request | Function |\n| ---: | --- |`);
      for (const row of summary.byCategoryTop[show] ?? []) console.log(`| ${((row.usPerSample * summary.intervalUs) / requests).toFixed(2)} | \`${row.entry}\` |`);
    }
    if (out) writeFileSync(out, `${JSON.stringify(report, null, 1)}\n`);
  } finally {
    await sink.kill();
    rmSync(profDir, { recursive: true, force: true });
    rmSync(spoolDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
