/**
 * Part 5: a burst at default settings (issue 11). One process tracks `n` events as fast as
 * it can (one `await tracker.track()` after the other: no macrotask in between, so nothing
 * is sent until the loop ends), for `visitors` distinct visitors, then closes the tracker.
 * With `yieldEvery` > 0 it yields to the event loop every that many events (sockets and
 * timers run in between, as in a real app that tracks from many requests).
 * argv: <core node entry (dist/node/index.js)> <n> <visitors> <sinkOrigin> <yieldEvery>
 * The core entry is a parameter so the same burst can be measured against an older build.
 */
import { pathToFileURL } from 'node:url';
import { serveParent } from './child.mjs';

const [entry, nText, visitorsText, origin, yieldText = '0'] = process.argv.slice(2);
const n = Number(nText);
const yieldEvery = Number(yieldText);
const visitors = Number(visitorsText);
const { createTracker } = await import(pathToFileURL(entry).href);
const warnings = [];
const logger = { debug() {}, warn: (message) => warnings.push(String(message)), error: (message) => warnings.push(String(message)) };

serveParent({
  async run() {
    // Defaults only: no batch or queue options. `flushOnExit` does not exist in older builds.
    const tracker = createTracker({ trackId: '123451234512345', trackDomain: origin, logger }, {});
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let queued = 0;
    for (let i = 0; i < n; i++) {
      const result = await tracker.track({ action: { name: 'burst', parameters: { 1: String(i) } } }, { ceid: `visitor-${i % visitors}` });
      if (result.ok) queued++;
      if (yieldEvery > 0 && i % yieldEvery === yieldEvery - 1) await new Promise((resolve) => setImmediate(resolve));
    }
    const trackedMs = performance.now() - t0;
    // Older builds never settle close() while a batch waits for a retry: bound the wait.
    await Promise.race([tracker.close({ timeout: 120_000 }), new Promise((resolve) => setTimeout(resolve, 125_000))]);
    const elapsedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { n, visitors, queued, trackedMs, elapsedMs, cpuUs: cpu.user + cpu.system, stats: tracker.stats(), warnings: warnings.slice(0, 5), warningCount: warnings.length };
  },
});
