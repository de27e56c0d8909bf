/** Part 5 driver: the default-settings burst for 1 and 1,000 visitors (see burst.mjs). */
import { fileURLToPath } from 'node:url';
import { startChild } from './child.mjs';
import { median } from './stats.mjs';

const BURST = fileURLToPath(new URL('./burst.mjs', import.meta.url));
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the burst `runs` times per visitor count against `entry` (a built core node entry). */
export async function benchBurst(sink, entry, { n, runs, visitorCounts = [1, 1000], yieldModes = [0, 1000], log }) {
  const summary = {};
  const results = {};
  for (const yieldEvery of yieldModes)
  for (const visitors of visitorCounts) {
    const key = `${visitors}/${yieldEvery}`;
    results[key] = [];
    for (let run = 0; run < runs; run++) {
      const name = `burst-${key}-${run}-${Date.now()}`;
      const { port } = await sink.call('open', { name });
      const child = await startChild(BURST, [entry, String(n), String(visitors), `http://127.0.0.1:${port}`, String(yieldEvery)]);
      const r = await child.call('run');
      await child.kill();
      // close() resolved, so the sink has what it will get; a short settle for the last response.
      let received = await sink.call('stats', { name });
      for (let i = 0; i < 20 && received.unique < n; i++) {
        await delay(100);
        received = await sink.call('stats', { name });
      }
      const row = { ...r, delivered: received.unique, dups: received.dups, requests: received.requests, eventsPerSec: (n / r.elapsedMs) * 1000, cpuUsPerEvent: r.cpuUs / n };
      results[key].push(row);
      log(`  ${visitors} visitor${visitors === 1 ? '' : 's'}, ${yieldEvery === 0 ? 'tight loop' : `yield every ${yieldEvery}`}, run ${run + 1}: delivered ${row.delivered}/${n} in ${row.requests} requests, ${Math.round(row.eventsPerSec)} events/s, ${row.cpuUsPerEvent.toFixed(1)} µs CPU/event, ${row.warningCount} warnings`);
    }
    const rows = results[key];
    summary[key] = {
      visitors,
      yieldEvery,
      delivered: Math.min(...rows.map((r) => r.delivered)),
      deliveredMax: Math.max(...rows.map((r) => r.delivered)),
      eventsPerSec: median(rows.map((r) => r.eventsPerSec)),
      cpuUsPerEvent: median(rows.map((r) => r.cpuUsPerEvent)),
      requests: median(rows.map((r) => r.requests)),
      dropped: rows[0]?.stats?.dropped ?? {},
      warnings: rows[0]?.warnings ?? [],
    };
  }
  return { n, runs, results, summary };
}
