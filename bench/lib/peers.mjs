/**
 * Parts 2 and 3: hit throughput versus peer SDKs, and behaviour during a sink outage.
 * Every SDK runs in its own child process and sends to its own listener of one sink
 * process, which counts unique and duplicate event ids.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './child.mjs';
import { median } from './stats.mjs';

const PEER_CLIENT = fileURLToPath(new URL('./peer-client.mjs', import.meta.url));
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check()` every `everyMs` until it returns true or `deadlineMs` passes; resolves the elapsed ms or undefined. */
async function waitUntil(check, { everyMs = 100, deadlineMs }) {
  const t0 = performance.now();
  while (performance.now() - t0 < deadlineMs) {
    if (await check()) return performance.now() - t0;
    await delay(everyMs);
  }
  return undefined;
}

/**
 * Part 2. For each run, subjects go one after another in a rotating order (A/B/C/D,
 * B/C/D/A, ...); per subject the median run is reported (by events/s).
 */
export async function benchThroughput(sink, subjects, { n, runs, log }) {
  const results = Object.fromEntries(subjects.map((s) => [s, []]));
  for (let run = 0; run < runs; run++) {
    const order = subjects.map((_, i) => subjects[(i + run) % subjects.length]);
    for (const subject of order) {
      const name = `tp-${subject}-${run}`;
      const { port } = await sink.call('open', { name });
      const child = await startChild(PEER_CLIENT, [subject, 'throughput', String(n), `http://127.0.0.1:${port}`, tmpdir()]);
      const r = await child.call('throughput');
      // close() resolved: everything was accepted by the sink, but confirm by counting ids.
      await waitUntil(async () => (await sink.call('stats', { name })).unique >= n, { deadlineMs: 5000 });
      const received = await sink.call('stats', { name });
      await child.kill();
      const row = {
        ...r,
        eventsPerSec: (n / r.elapsedMs) * 1000,
        cpuUsPerEvent: r.cpuUs / n,
        unique: received.unique,
        dups: received.dups,
        requests: received.requests,
        bodyBytes: received.bodyBytes,
      };
      results[subject].push(row);
      log(`  ${subject.padEnd(10)} run ${run + 1}: ${Math.round(row.eventsPerSec)} events/s, ${row.cpuUsPerEvent.toFixed(1)} µs CPU/event, peak RSS ${(r.maxRssBytes / 1048576).toFixed(0)} MiB, received ${received.unique}/${n} (dups ${received.dups})`);
    }
  }
  const summary = {};
  for (const subject of subjects) {
    const rows = results[subject];
    const mid = [...rows].sort((a, b) => a.eventsPerSec - b.eventsPerSec)[rows.length >> 1];
    summary[subject] = {
      eventsPerSec: median(rows.map((r) => r.eventsPerSec)),
      cpuUsPerEvent: median(rows.map((r) => r.cpuUsPerEvent)),
      maxRssBytes: median(rows.map((r) => r.maxRssBytes)),
      unique: Math.min(...rows.map((r) => r.unique)),
      dups: Math.max(...rows.map((r) => r.dups)),
      requests: mid.requests,
      bodyBytesPerEvent: mid.bodyBytes / n,
    };
  }
  return { n, runs, results, summary };
}

/**
 * Part 3. All subjects run at once against their own sink listener (same timeline):
 * `beforeMs` normal, `downMs` refused connections, then up again while events keep coming
 * for `afterMs`; then production stops and we wait up to `drainMs` for the backlog.
 * "Drained" = every event tracked before the sink came back has arrived (by unique id).
 */
export async function benchOutage(sink, subjects, { rate, beforeMs, downMs, afterMs, drainMs, replayMs, sampleMs, log }) {
  const dirs = {};
  const origins = {};
  const clients = {};
  for (const subject of subjects) {
    const { port } = await sink.call('open', { name: `out-${subject}` });
    dirs[subject] = mkdtempSync(join(tmpdir(), 'mapp-bench-wal-'));
    origins[subject] = `http://127.0.0.1:${port}`;
    clients[subject] = await startChild(PEER_CLIENT, [subject, 'outage', '0', origins[subject], dirs[subject]]);
  }
  const rss = Object.fromEntries(subjects.map((s) => [s, []]));
  const t0 = performance.now();
  const sampler = setInterval(() => {
    const t = (performance.now() - t0) / 1000;
    for (const subject of subjects) {
      const bytes = clients[subject].rssBytes();
      if (bytes !== undefined) rss[subject].push([t, bytes]);
    }
  }, sampleMs);
  const markers = {};
  try {
    await Promise.all(subjects.map((s) => clients[s].call('startRate', { rate })));
    await delay(beforeMs);
    markers.down = (performance.now() - t0) / 1000;
    await Promise.all(subjects.map((s) => sink.call('down', { name: `out-${s}` })));
    log(`  sink down at ${markers.down.toFixed(1)} s`);
    await delay(downMs);
    // The backlog: every event tracked before the sink came back (ids are 0, 1, 2, ...).
    const backlog = {};
    await Promise.all(subjects.map(async (s) => (backlog[s] = (await clients[s].call('produced')).produced)));
    const drained = {};
    // For trackers that never deliver the whole backlog: when did the last backlog event arrive?
    const lastBacklogArrival = {};
    const seenBelow = Object.fromEntries(subjects.map((s) => [s, -1]));
    const baseBelow = {};
    const pollDrain = async () => {
      const below = Object.fromEntries(subjects.map((s) => [`out-${s}`, backlog[s]]));
      const all = await sink.call('statsAll', { below });
      const now = (performance.now() - upAt) / 1000; // upAt is set before the first poll runs
      for (const s of subjects) {
        const got = all[`out-${s}`].uniqueBelow;
        if (got > seenBelow[s]) {
          lastBacklogArrival[s] = now;
          seenBelow[s] = got;
        }
        if (drained[s] === undefined && got >= backlog[s]) drained[s] = now;
      }
    };
    {
      // Baseline: backlog ids that had arrived before the outage.
      const base = await sink.call('statsAll', { below: Object.fromEntries(subjects.map((x) => [`out-${x}`, backlog[x]])) });
      for (const x of subjects) seenBelow[x] = baseBelow[x] = base[`out-${x}`].uniqueBelow;
    }
    markers.up = (performance.now() - t0) / 1000;
    const upAt = performance.now();
    await Promise.all(subjects.map((s) => sink.call('up', { name: `out-${s}` })));
    log(`  sink up at ${markers.up.toFixed(1)} s`);
    const poller = setInterval(() => void pollDrain().catch(() => {}), 100);
    await delay(afterMs);
    const produced = {};
    await Promise.all(subjects.map(async (s) => (produced[s] = (await clients[s].call('stopProducing')).produced)));
    markers.stop = (performance.now() - t0) / 1000;
    // Wait for the rest: until every subject has delivered everything (or the drain budget ends).
    await waitUntil(
      async () => {
        const all = await sink.call('statsAll', {});
        return subjects.every((s) => all[`out-${s}`].unique >= produced[s]);
      },
      { deadlineMs: drainMs, everyMs: 200 },
    );
    await pollDrain();
    clearInterval(poller);
    markers.end = (performance.now() - t0) / 1000;
    clearInterval(sampler); // RSS of the run itself, not of the shutdown below
    const final = await sink.call('statsAll', {});
    const closed = {};
    for (const s of subjects) closed[s] = await clients[s].call('close');
    const after = await sink.call('statsAll', {});
    // The write-ahead log keeps what it gave up on (retries exhausted) for the next start:
    // restart the process on the same folder and count what the replay delivers.
    const replay = {};
    for (const s of subjects.filter((x) => x === 'mapp-spool')) {
      await clients[s].kill();
      const name = `out-${s}`;
      const before = after[name].unique;
      const t = performance.now();
      const restarted = await startChild(PEER_CLIENT, [s, 'outage', '0', origins[s], dirs[s]]);
      const done = await waitUntil(async () => (await sink.call('stats', { name })).unique >= produced[s], { deadlineMs: replayMs, everyMs: 100 });
      await restarted.call('close');
      await restarted.kill();
      const r = await sink.call('stats', { name });
      replay[s] = { replayed: r.unique - before, replaySec: done === undefined ? undefined : (performance.now() - t) / 1000, unique: r.unique, dups: r.dups };
      after[name] = r;
      log(`  ${s.padEnd(10)}: restart on the same spool folder replayed ${replay[s].replayed} hits${done === undefined ? ' (not all within the budget)' : ` in ${replay[s].replaySec.toFixed(1)} s`}`);
    }
    const summary = {};
    for (const s of subjects) {
      const r = after[`out-${s}`];
      const series = rss[s];
      summary[s] = {
        produced: produced[s],
        // Events tracked before the return that had not arrived yet: the backlog to drain.
        backlog: backlog[s] - baseBelow[s],
        drainSec: drained[s],
        lastBacklogArrivalSec: lastBacklogArrival[s],
        backlogDelivered: seenBelow[s] - baseBelow[s],
        // Counted before close(): what arrived by itself. Close may still push a final batch.
        uniqueBeforeClose: final[`out-${s}`].unique,
        unique: r.unique,
        lost: produced[s] - r.unique,
        dups: r.dups,
        peakRss: Math.max(...series.map(([, b]) => b)),
        rssAtUp: series.filter(([t]) => t <= markers.up).at(-1)?.[1],
        rssStart: series.find(([t]) => t >= 1)?.[1] ?? series[0]?.[1],
        stats: closed[s].stats,
        replay: replay[s],
      };
      log(`  ${s.padEnd(10)}: produced ${produced[s]}, received ${r.unique} unique (+${r.dups} dup), lost ${summary[s].lost}, drained ${drained[s] === undefined ? 'never' : `${drained[s].toFixed(1)} s`}, peak RSS ${(summary[s].peakRss / 1048576).toFixed(0)} MiB`);
    }
    return { rate, beforeMs, downMs, afterMs, drainMs, replayMs, markers, rss, summary };
  } finally {
    clearInterval(sampler);
    for (const c of Object.values(clients)) await c.kill();
    for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  }
}
