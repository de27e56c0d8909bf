/**
 * One tracker under test, in its own process (parts 2 and 3).
 * argv: <subject> <throughput|outage> <n> <sinkOrigin> <spoolDir>
 * `throughput`: tracks n events as fast as the event loop allows (chunks of 1000 per
 * macrotask, so timers and sockets still run), then flushes/closes and reports wall time,
 * CPU time and peak RSS. `outage`: tracks events at a fixed rate until told to stop.
 */
import { createSubject } from './peers-config.mjs';
import { serveParent } from './child.mjs';

const [subject, mode, nText, origin, spoolDir] = process.argv.slice(2);
// Some SDKs print every failed flush to the console during the outage; the sink counts instead.
console.error = () => {};
console.warn = () => {};
console.log = () => {};
const n = Number(nText);
const target = await createSubject(subject, mode, n, origin, spoolDir);

const CHUNK = 1000;
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

let produced = 0;
let timer;

serveParent({
  async throughput() {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      target.track(i);
      if (i % CHUNK === CHUNK - 1) await yieldToLoop();
    }
    const enqueuedMs = performance.now() - t0;
    await target.close();
    const elapsedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      n,
      enqueuedMs,
      elapsedMs,
      cpuUs: cpu.user + cpu.system,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      stats: target.stats?.(),
    };
  },
  startRate({ rate }) {
    const started = performance.now();
    // Drift-free pacing: each tick tracks however many events are due by now.
    timer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) * rate) / 1000);
      while (produced < due) target.track(produced++);
    }, 10);
    return true;
  },
  produced() {
    return { produced };
  },
  stopProducing() {
    clearInterval(timer);
    return { produced };
  },
  async close() {
    const t0 = performance.now();
    await Promise.race([target.close(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    return { closeMs: performance.now() - t0, stats: target.stats?.() };
  },
});
