#!/usr/bin/env node
/**
 * `pnpm bench`: runs the four benchmarks of issue 8 and writes BENCHMARKS.md (repository
 * root), bench/chart.svg, bench/outage-rss.svg and bench/results.json.
 *
 *   pnpm bench                 the full run (about 6-8 minutes on 2 cores)
 *   pnpm bench --quick         short durations, to check that everything works (~2 min)
 *   pnpm bench --parts=1,4     only some parts (the report then holds only those); 5 = burst,
 *                              6 = profiles, 7 = fleet mode (Redis Streams; needs redis-server), 8 = log import
 *   pnpm bench --parts=7 --merge   run some parts and keep the other parts' results from
 *                              bench/results.json (the report names the date of each part)
 *   pnpm bench --render        rewrite BENCHMARKS.md and the charts from bench/results.json
 *
 * It measures the built packages (dist/), exactly what users install: run `pnpm build`
 * first (scripts/setup.sh does).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './lib/child.mjs';
import { describeMachine } from './lib/machine.mjs';
import { benchFramework, MODES, variantsOf } from './lib/overhead.mjs';
import { benchRequestPath } from './request-path.mjs';
import { benchBurst } from './lib/burst-run.mjs';
import { benchFleet, FLEET_TARGETS } from './lib/fleet.mjs';
import { benchImport, IMPORT_TARGET_LINES_PER_SEC } from './lib/import-bench.mjs';
import { profileAll } from './lib/profiles.mjs';
import { benchOutage, benchThroughput } from './lib/peers.mjs';
import { LABELS, SUBJECTS } from './lib/peers-config.mjs';
import { renderMarkdown } from './lib/report.mjs';
import { fmt } from './lib/stats.mjs';
import { barChart, lineChart } from './lib/svg.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const partsArg = args.find((a) => a.startsWith('--parts='));
const parts = new Set((partsArg ? partsArg.slice('--parts='.length) : '1,2,3,4,5,6,7,8').split(',').map(Number));

const CONFIG = quick
  ? {
      overhead: { rounds: 1, duration: 2, warmup: 1, latencyRounds: 1, latencyDuration: 2, connections: 50 },
      requestPath: { requests: 5000, rounds: 1 },
      throughput: { n: 10_000, runs: 1 },
      outage: { rate: 200, beforeMs: 2000, downMs: 6000, afterMs: 3000, drainMs: 15_000, replayMs: 10_000, sampleMs: 250 },
      hitCost: { targetMs: 50, samples: 5 },
      burst: { n: 50_000, runs: 1 },
      profiles: { duration: 3 },
      fleet: { n: 10_000, runs: 1 },
      importRate: { rateBytes: 20 * 1048576, largeBytes: 50 * 1048576, rounds: 1 },
    }
  : {
      overhead: { rounds: 7, duration: 4, warmup: 2, latencyRounds: 3, latencyDuration: 4, connections: 50 },
      requestPath: { requests: 20000, rounds: 5 },
      throughput: { n: 50_000, runs: 3 },
      outage: { rate: 300, beforeMs: 5000, downMs: 30_000, afterMs: 10_000, drainMs: 40_000, replayMs: 20_000, sampleMs: 250 },
      hitCost: { targetMs: 150, samples: 9 },
      burst: { n: 50_000, runs: 3 },
      profiles: { duration: 8 },
      fleet: { n: 100_000, runs: 3 },
      importRate: { rateBytes: 100 * 1048576, largeBytes: 200 * 1048576, rounds: 3 },
    };

const log = (line) => console.log(line);

function checkBuilt() {
  const missing = ['core/dist/index.js', 'core/dist/node/index.js', 'express/dist/index.js', 'koa/dist/index.js'].filter((f) => !existsSync(join(ROOT, 'packages', f)));
  if (missing.length > 0) {
    console.error(`bench: packages are not built (missing ${missing.join(', ')}). Run \`pnpm build\` (or bash scripts/setup.sh) first.`);
    process.exit(1);
  }
}

/** Hand-written analysis of missed targets (kept next to the code, updated with profiles). */
function readAnalysis() {
  const file = join(BENCH, 'analysis.md');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('- '))
    .map((line) => line.slice(2));
}

/** Measurement problems: a benchmark of a tracker that does not deliver is not a benchmark. */
function problems(results) {
  const notes = [];
  // Every served page must have become exactly one hit at the sink (or one spool line).
  for (const fw of results.overhead ?? []) {
    for (const variant of fw.variants.filter((v) => v !== 'bare')) {
      const stopped = fw.stopped[variant];
      const got = variant === 'spool' ? stopped.spoolLines : results.overheadSink?.[`${fw.framework}-${variant}`]?.lines;
      if (got === stopped.served) continue;
      const dropped = stopped.stats?.dropped && Object.keys(stopped.stats.dropped).length ? ` (counted and warned as dropped: ${JSON.stringify(stopped.stats.dropped)})` : '';
      notes.push(`PROBLEM: ${fw.framework} \`${variant}\`: ${got} hits arrived for ${stopped.served} pages served (expected equal)${dropped}; every page view must arrive.`);
    }
  }
  for (const row of Object.values(results.burst?.summary ?? {})) {
    if (row.delivered !== results.burst.n) notes.push(`PROBLEM: the default-settings burst (${row.visitors} visitors, yield ${row.yieldEvery}) delivered ${row.delivered} of ${results.burst.n} events.`);
  }
  for (const [subject, row] of Object.entries(results.fleet?.summary ?? {})) {
    if (row.unique !== results.fleet.n) notes.push(`PROBLEM: fleet mode part, ${subject} delivered ${row.unique} of ${results.fleet.n} hits.`);
  }
  for (const [subject, row] of Object.entries(results.throughput?.summary ?? {})) {
    if (row.unique !== results.throughput.n) notes.push(`PROBLEM: ${subject} delivered ${row.unique} of ${results.throughput.n} events in the throughput run.`);
  }
  const im = results.importRate;
  if (im) {
    if (im.endToEnd.delivered !== im.endToEnd.pageViews) notes.push(`PROBLEM: mapp-s2s import sent ${im.endToEnd.pageViews} page views but ${im.endToEnd.delivered} arrived at the sink.`);
    if (im.memory.delivered !== im.memory.pageViews) notes.push(`PROBLEM: mapp-s2s import of the large log sent ${im.memory.pageViews} page views but ${im.memory.delivered} arrived at the sink.`);
  }
  return notes;
}

/** The keys of results.json that each part writes (for --merge). */
const PART_KEYS = {
  1: ['overhead', 'overheadSink', 'requestPath'],
  2: ['throughput'],
  3: ['outage'],
  4: ['hitCost'],
  5: ['burst', 'burstBefore'],
  6: ['profiles'],
  7: ['fleet'],
  8: ['importRate'],
};

/** Issue 13's targets, checked against this run. */
export const TARGETS = {
  express: { returning: 0.92, new: 0.88 },
  koa: { returning: 0.7, new: 0.6 },
  spoolVsBatch: 0.95,
  directVsBareExpress: 0.6,
  addedP99Ms: 1,
};

function missedTargets(results) {
  const notes = [];
  for (const fw of results.overhead ?? []) {
    const name = fw.framework === 'express' ? 'Express' : 'Koa';
    for (const mode of MODES) {
      const r = fw.modes[mode].ratioToBare.batch;
      const target = TARGETS[fw.framework][mode];
      if (r < target) notes.push(`${name} + \`batch\`, ${mode} visitors: kept ${r.toFixed(2)}× of bare throughput (target ≥ ${target.toFixed(2)}×).`);
      const spool = fw.modes[mode].ratioToBare.spool / r;
      if (spool < TARGETS.spoolVsBatch) notes.push(`${name} + \`spool\`, ${mode} visitors: ${spool.toFixed(2)}× of \`batch\` (target within 5 %).`);
    }
    if (fw.framework === 'express') {
      const d = fw.modes.returning.ratioToBare.direct;
      if (d < TARGETS.directVsBareExpress) notes.push(`Express + \`direct\`: kept ${d.toFixed(2)}× of bare throughput (target ≥ ${TARGETS.directVsBareExpress.toFixed(2)}×).`);
    }
    const added = fw.latency.batch.p99 - fw.latency.bare.p99;
    if (!(added <= TARGETS.addedP99Ms)) notes.push(`${name} + \`batch\` added ${added.toFixed(2)} ms at p99 at ${fmt(fw.rate)} req/s (target ≤ 1 ms).`);
    if (fw.latency.batch.achievedRps < 0.97 * fw.rate) {
      notes.push(`${name} + \`batch\` did not sustain the fixed rate (${fmt(fw.latency.batch.achievedRps)} of ${fmt(fw.rate)} req/s, autocannon keeps at most one request per connection in flight): its p99 was measured at a lower rate than bare's, so the latency comparison is not like for like.`);
    }
  }
  const fleet = results.fleet?.summary;
  if (fleet) {
    if (fleet.redis.endToEndHitsPerSec < FLEET_TARGETS.endToEndHitsPerSec) notes.push(`Fleet mode end to end (app → Redis → shipper → sink): ${fmt(fleet.redis.endToEndHitsPerSec)} hits/s (target ≥ ${fmt(FLEET_TARGETS.endToEndHitsPerSec)}).`);
    if (fleet.redis.appCpuUsPerHit > fleet.batch.appCpuUsPerHit * FLEET_TARGETS.appCpuVsBatch) notes.push(`Fleet mode app-side CPU: ${fleet.redis.appCpuUsPerHit.toFixed(2)} µs per hit, the batch transport's ${fleet.batch.appCpuUsPerHit.toFixed(2)} µs (target: no higher).`);
  }
  const im = results.importRate;
  if (im) {
    for (const [format, row] of Object.entries(im.parse)) {
      const perCpu = row.linesPerCpuSec ?? row.linesPerSec;
      if (perCpu < IMPORT_TARGET_LINES_PER_SEC) notes.push(`mapp-s2s import (${format}) parsed and built ${fmt(perCpu)} lines per CPU-second (target ≥ ${fmt(IMPORT_TARGET_LINES_PER_SEC)}).`);
      else if (row.linesPerSec < IMPORT_TARGET_LINES_PER_SEC) {
        notes.push(`mapp-s2s import (${format}): ${fmt(perCpu)} lines per CPU-second, but ${fmt(row.linesPerSec)} lines/s by the wall clock: the machine's 2 cores were shared (load average ${im.loadavg?.map((l) => l.toFixed(1)).join(' / ') ?? 'n/a'}), so the process got less than one core.`);
      }
    }
  }
  const sp = results.outage?.summary['mapp-spool'];
  if (sp && (sp.lost !== 0 || sp.dups !== 0)) notes.push(`Batch + spool lost ${sp.lost} and duplicated ${sp.dups} hits in the outage (target 0 / 0).`);
  return notes;
}

function writeCharts(results) {
  const panels = [];
  for (const fw of results.overhead ?? []) {
    const name = fw.framework === 'express' ? 'Express' : 'Koa';
    const colors = { batch: '#1f77b4', spool: '#2ca02c', direct: '#9467bd' };
    panels.push({
      title: `${name}: throughput with mappTracking(), % of bare ${name} (median of per-round ratios)`,
      rows: MODES.flatMap((mode) =>
        fw.variants.filter((v) => v !== 'bare').map((v) => {
          const m = fw.modes[mode];
          return {
            label: `${v}, ${mode === 'new' ? 'new visitors' : 'returning'}`,
            value: 100 * m.ratioToBare[v],
            text: `${(100 * m.ratioToBare[v]).toFixed(0)}%  (${fmt(m.medianRps[v])} vs ${fmt(m.medianRps.bare)} req/s)`,
            color: colors[v],
          };
        }),
      ),
      max: 120,
      marker: { value: 100 * TARGETS[fw.framework].returning, label: `target ${(100 * TARGETS[fw.framework].returning).toFixed(0)}% (returning)` },
    });
  }
  const tp = results.throughput;
  if (tp) {
    panels.push({
      title: `Hit throughput into a local sink, events/s (${fmt(tp.n)} events, median of ${tp.runs})`,
      rows: SUBJECTS.map((s) => ({ label: LABELS[s], value: tp.summary[s].eventsPerSec, text: fmt(tp.summary[s].eventsPerSec) })),
    });
    panels.push({
      title: 'CPU time per event, µs (lower is better)',
      rows: SUBJECTS.map((s) => ({ label: LABELS[s], value: tp.summary[s].cpuUsPerEvent, text: tp.summary[s].cpuUsPerEvent.toFixed(1) })),
    });
  }
  const rp = results.requestPath;
  if (rp) {
    // Issue 13: the in-server cost per request next to the in-loop cost per hit.
    const colors = { batch: '#1f77b4', spool: '#2ca02c', direct: '#9467bd' };
    const rows = Object.values(rp.results).flatMap((r) =>
      ['batch', 'spool'].map((v) => ({
        label: `${r.framework === 'express' ? 'Express' : 'Koa'} + ${v}, ${r.mode === 'new' ? 'new visitors' : 'returning'}`,
        value: r.addedUs[v],
        text: `+${r.addedUs[v].toFixed(1)} µs`,
        color: colors[v],
      })),
    );
    if (results.hitCost) rows.push({ label: 'in a loop: build + encode one hit', value: results.hitCost.simple.buildLineNs / 1000, text: `${(results.hitCost.simple.buildLineNs / 1000).toFixed(2)} µs`, color: '#aaaaaa' });
    panels.push({ title: 'Server CPU added per page view, in process (part 1b), µs (lower is better)', rows });
  }
  const hc = results.hitCost;
  if (hc) {
    panels.push({
      title: 'Core cost per page-view hit, ns (lower is better)',
      rows: [
        { label: 'simple: buildLine()', value: hc.simple.buildLineNs, text: fmt(hc.simple.buildLineNs), color: '#1f77b4' },
        { label: 'simple: JSON.stringify (floor)', value: hc.simple.jsonNs, text: fmt(hc.simple.jsonNs), color: '#aaaaaa' },
        { label: 'simple: trackPageView()', value: hc.simple.trackPageViewNs, text: fmt(hc.simple.trackPageViewNs), color: '#2ca02c' },
        { label: 'heavy: buildLine()', value: hc.heavy.buildLineNs, text: fmt(hc.heavy.buildLineNs), color: '#1f77b4' },
        { label: 'heavy: JSON.stringify (floor)', value: hc.heavy.jsonNs, text: fmt(hc.heavy.jsonNs), color: '#aaaaaa' },
        { label: 'heavy: trackPageView()', value: hc.heavy.trackPageViewNs, text: fmt(hc.heavy.trackPageViewNs), color: '#2ca02c' },
      ],
    });
  }
  const m = results.machine;
  writeFileSync(
    join(BENCH, 'chart.svg'),
    barChart({ title: 'mapp-s2s benchmarks', subtitle: `${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.date.slice(0, 10)}; default options; ${results.config.overhead.connections} connections, ${results.config.overhead.rounds} × ${results.config.overhead.duration} s rounds; BENCHMARKS.md`, panels }),
  );
  const ot = results.outage;
  if (ot) {
    writeFileSync(
      join(BENCH, 'outage-rss.svg'),
      lineChart({
        title: `RSS while the sink is down for ${ot.downMs / 1000} s (${fmt(ot.rate)} events/s each)`,
        subtitle: 'Each tracker in its own process; RSS from /proc every 250 ms',
        series: Object.keys(ot.summary).map((s) => ({ label: LABELS[s], points: ot.rss[s].map(([t, b]) => [t, b / 1048576]) })),
        xLabel: 'seconds',
        yLabel: 'RSS, MiB',
        band: { from: ot.markers.down, to: ot.markers.up, label: 'sink down' },
        markers: [{ x: ot.markers.stop, label: 'events stop' }],
      }),
    );
  }
}

function writeReport(results, found) {
  results.notes = [...found, ...missedTargets(results), ...readAnalysis()];
  writeFileSync(join(BENCH, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  writeCharts(results);
  const command = results.command ?? 'pnpm bench';
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), renderMarkdown(results, { chartFile: 'bench/chart.svg', outageFile: 'bench/outage-rss.svg', command }));
}

async function main() {
  if (args.includes('--render')) {
    const results = JSON.parse(readFileSync(join(BENCH, 'results.json'), 'utf8'));
    writeReport(results, problems(results));
    log('bench: rewrote BENCHMARKS.md and the charts from bench/results.json');
    return;
  }
  checkBuilt();
  const started = performance.now();
  const results = { machine: describeMachine(), config: CONFIG, quick };
  if (args.includes('--merge')) {
    // Keep what the other parts measured earlier; the report says when each part ran.
    const file = join(BENCH, 'results.json');
    if (!existsSync(file)) throw new Error('bench --merge: no bench/results.json to merge into; run the full bench first');
    const earlier = JSON.parse(readFileSync(file, 'utf8'));
    const keep = Object.entries(PART_KEYS).filter(([part]) => !parts.has(Number(part)));
    for (const [, keys] of keep) for (const key of keys) if (earlier[key] !== undefined) results[key] = earlier[key];
    results.partDates = { ...earlier.partDates };
    for (const [part, keys] of keep) if (keys.some((key) => earlier[key] !== undefined)) results.partDates[part] ??= earlier.machine.date;
    results.config = { ...earlier.config, ...CONFIG };
  }
  for (const part of parts) (results.partDates ??= {})[part] = results.machine.date;
  log(`bench: ${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}${quick ? ' (quick mode)' : ''}`);
  const sink = await startChild(join(BENCH, 'lib/sink.mjs'));
  try {
    if (parts.has(1)) {
      log('1/4 middleware overhead');
      results.overhead = [];
      for (const framework of ['express', 'koa']) {
        const origins = {};
        for (const variant of variantsOf(framework)) {
          const { port } = await sink.call('open', { name: `${framework}-${variant}`, ids: false });
          origins[variant] = `http://127.0.0.1:${port}`;
        }
        const fw = await benchFramework(framework, origins, { ...CONFIG.overhead, log });
        results.overhead.push(fw);
      }
      results.overheadSink = await sink.call('statsAll', {});
    }
    if (parts.has(1)) {
      log('1b in-process request path (server CPU per request, no network)');
      results.requestPath = await benchRequestPath({ frameworks: ['express', 'koa'], ...CONFIG.requestPath, log });
    }
    if (parts.has(2)) {
      log('2/4 hit throughput versus peer SDKs');
      results.throughput = await benchThroughput(sink, SUBJECTS, { ...CONFIG.throughput, log });
    }
    if (parts.has(3)) {
      log('3/4 outage');
      results.outage = await benchOutage(sink, ['mapp-batch', 'mapp-spool', 'segment', 'posthog', 'snowplow'], { ...CONFIG.outage, log });
      results.outage.sampleMs = CONFIG.outage.sampleMs;
    }
    if (parts.has(4)) {
      log('4/4 core cost per hit');
      const child = await startChild(join(BENCH, 'lib/hit-cost.mjs'));
      results.hitCost = await child.call('run', CONFIG.hitCost);
      await child.kill();
      for (const kind of ['simple', 'heavy']) {
        const h = results.hitCost[kind];
        log(`  ${kind}: buildLine ${fmt(h.buildLineNs)} ns, JSON.stringify ${fmt(h.jsonNs)} ns, trackPageView ${fmt(h.trackPageViewNs)} ns`);
      }
    }
    if (parts.has(5)) {
      log('5/5 a 50,000-hit burst at default settings');
      results.burst = await benchBurst(sink, join(ROOT, 'packages/core/dist/node/index.js'), { ...CONFIG.burst, log });
      const baseline = join(BENCH, 'baseline/before-issue-11.json');
      if (existsSync(baseline)) {
        const before = JSON.parse(readFileSync(baseline, 'utf8'));
        results.burstBefore = { name: before.name, commit: 'bc95e47', date: before.machine.date, summary: before.burst.summary };
      }
    }
    if (parts.has(6)) {
      log('6 CPU profiles of the tracked servers (before: bench/profiles/*-before.json)');
      results.profiles = await profileAll({ ...CONFIG.profiles, log });
    }
    if (parts.has(7)) {
      log('7 fleet mode: app → Redis Streams → shipper → sink, next to batch');
      results.fleet = await benchFleet(sink, { ...CONFIG.fleet, log });
      // Kept with the numbers: a report may merge this part into an earlier full run (--render).
      results.fleet.measured = { command: `pnpm bench${args.length ? ` ${args.join(' ')}` : ''}`, date: results.machine.date, machine: `${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}` };
    }
    if (parts.has(8)) {
      log('8 access-log import (mapp-s2s import): parse rate, end to end, memory on a large log');
      results.importRate = await benchImport(sink, { ...CONFIG.importRate, log });
    }
  } finally {
    await sink.kill();
  }
  results.elapsedSec = (performance.now() - started) / 1000;
  const found = problems(results);
  results.command = `pnpm bench${args.length ? ` ${args.join(' ')}` : ''}`;
  writeReport(results, found);
  for (const problem of found) console.error(`bench: ${problem}`);
  if (found.some((note) => note.startsWith("PROBLEM"))) process.exitCode = 2;
  log(`bench: wrote ${relative(process.cwd(), join(ROOT, 'BENCHMARKS.md'))}, bench/chart.svg${results.outage ? ', bench/outage-rss.svg' : ''}, bench/results.json in ${fmt(results.elapsedSec)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
