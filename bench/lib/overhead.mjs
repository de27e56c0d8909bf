/**
 * Part 1: middleware overhead. Bare Express/Koa versus the same app with `mappTracking()`
 * in each transport, for returning visitors (eid cookie sent) and for a new visitor per
 * request (no cookie: an eid minted and a `Set-Cookie` on every response). Every server runs
 * in its own child process; autocannon runs here. Throughput: rounds that rotate the order of
 * the variants (A/B/C/D, B/C/D/A, ...) so machine noise hits every variant alike; the
 * median of the rounds is reported and ratios are per round (variant / bare of the same round).
 * Latency: a fixed rate of half the bare maximum, each response time recorded at full
 * precision (autocannon's own histogram has 1 ms resolution, too coarse for the target).
 */
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './child.mjs';
import { BROWSER_UA, EID_COOKIE } from './constants.mjs';
import { median, quantile } from './stats.mjs';

const APP_SERVER = fileURLToPath(new URL('./app-server.mjs', import.meta.url));

export const VARIANTS = ['bare', 'batch', 'spool', 'direct'];

/**
 * The variants each framework runs. `direct` (one GET per page view) is measured on Express,
 * the target: at Koa's rate on this 2-core machine the local sink cannot answer a GET
 * per page view, so `direct` drops hits there (warned, counted: retries-exhausted), which is
 * why the README sends anything above a few hundred page views a second through `batch`.
 */
export function variantsOf(framework) {
  return framework === 'express' ? VARIANTS : VARIANTS.filter((v) => v !== 'direct');
}
export const MODES = ['returning', 'new'];

/** How each variant is shown in the report. */
export const VARIANT_LABELS = { bare: 'bare', direct: '`direct`', batch: '`batch`', spool: '`spool`' };
export const MODE_LABELS = { returning: 'returning visitors (eid cookie sent)', new: 'a new visitor per request (eid minted, Set-Cookie)' };

/** A browser navigation; returning visitors send their eid cookie. */
export function pageHeaders(mode) {
  const headers = {
    'user-agent': BROWSER_UA,
    accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'accept-language': 'en-US,en;q=0.9',
    'sec-fetch-dest': 'document',
    'sec-fetch-mode': 'navigate',
  };
  if (mode === 'returning') headers.cookie = EID_COOKIE;
  return headers;
}

function runCannon(port, { mode, duration, connections, overallRate, onLatency }) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}/`,
        headers: pageHeaders(mode),
        connections,
        duration,
        ...(overallRate ? { overallRate } : {}),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (onLatency) instance.on('response', (_client, statusCode, _bytes, responseTime) => onLatency(statusCode, responseTime));
  });
}

async function startServer(framework, variant, origin) {
  const spoolDir = mkdtempSync(join(tmpdir(), 'mapp-bench-spool-'));
  const child = await startChild(APP_SERVER, [framework, variant, origin, spoolDir]);
  return { child, port: child.info.port, spoolDir };
}

async function stopServer(server) {
  const result = await server.child.call('stop');
  await server.child.kill();
  rmSync(server.spoolDir, { recursive: true, force: true });
  return result;
}


/**
 * Runs the overhead benchmark for one framework.
 * @param origins sink origin per variant (one sink listener each, so hits can be counted per variant)
 */
export async function benchFramework(framework, origins, { rounds, duration, warmup, latencyRounds, latencyDuration, connections, log }) {
  const VARIANTS = variantsOf(framework);
  const perMode = (make) => Object.fromEntries(MODES.map((m) => [m, Object.fromEntries(VARIANTS.map((v) => [v, make()]))]));
  const servers = {};
  for (const variant of VARIANTS) servers[variant] = await startServer(framework, variant, origins[variant]);
  const rps = perMode(() => []);
  const cpu = perMode(() => ({ us: 0, served: 0 }));
  const served = Object.fromEntries(VARIANTS.map((v) => [v, 0]));
  const errors = Object.fromEntries(VARIANTS.map((v) => [v, 0]));
  try {
    for (const mode of MODES) {
      for (const variant of VARIANTS) {
        const warm = await runCannon(servers[variant].port, { mode, duration: warmup, connections });
        served[variant] += warm.requests.total;
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const mode of MODES) {
        // Rotate the start so no variant always runs first (or right after the heaviest).
        const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
        for (const variant of order) {
          const before = await servers[variant].child.call('cpu');
          const result = await runCannon(servers[variant].port, { mode, duration, connections });
          const after = await servers[variant].child.call('cpu');
          cpu[mode][variant].us += after.cpuUs - before.cpuUs;
          cpu[mode][variant].served += after.served - before.served;
          rps[mode][variant].push(result.requests.average);
          served[variant] += result.requests.total;
          errors[variant] += result.errors + result.non2xx;
          log(`  ${framework} ${mode.padEnd(9)} ${variant.padEnd(6)} round ${round + 1}: ${Math.round(result.requests.average)} req/s`);
        }
      }
    }
    const bareMax = median(rps.returning.bare);
    const rate = Math.max(50, Math.round(bareMax / 2));
    const latency = {};
    const latencyRuns = Object.fromEntries(VARIANTS.map((v) => [v, []]));
    for (let round = 0; round < latencyRounds; round++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
      for (const variant of order) {
        const samples = [];
        const result = await runCannon(servers[variant].port, {
          mode: 'returning',
          duration: latencyDuration,
          connections,
          overallRate: rate,
          onLatency: (status, ms) => {
            if (status === 200) samples.push(ms);
          },
        });
        served[variant] += result.requests.total;
        errors[variant] += result.errors + result.non2xx;
        // Drop the first 10% of samples: connection setup and the switch to the fixed rate.
        const steady = samples.slice(Math.floor(samples.length / 10));
        latencyRuns[variant].push({ p50: quantile(steady, 0.5), p99: quantile(steady, 0.99), samples: steady.length, achievedRps: result.requests.average });
      }
    }
    for (const variant of VARIANTS) {
      const runs = latencyRuns[variant];
      latency[variant] = {
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        p99Runs: runs.map((r) => r.p99),
        samples: runs.reduce((sum, r) => sum + r.samples, 0),
        achievedRps: median(runs.map((r) => r.achievedRps)),
      };
      log(`  ${framework} ${variant.padEnd(6)} @${rate}/s: p50 ${latency[variant].p50.toFixed(3)} ms, p99 ${latency[variant].p99.toFixed(3)} ms (runs ${latency[variant].p99Runs.map((x) => x.toFixed(2)).join(', ')})`);
    }
    const stopped = {};
    for (const variant of VARIANTS) stopped[variant] = await stopServer(servers[variant]);
    const modes = {};
    for (const mode of MODES) {
      modes[mode] = {
        rps: rps[mode],
        medianRps: Object.fromEntries(VARIANTS.map((v) => [v, median(rps[mode][v])])),
        // Ratio per round (variant and bare measured seconds apart), then the median of those.
        ratioToBare: Object.fromEntries(VARIANTS.map((v) => [v, median(rps[mode][v].map((x, i) => x / rps[mode].bare[i]))])),
        cpuUsPerRequest: Object.fromEntries(VARIANTS.map((v) => [v, cpu[mode][v].us / cpu[mode][v].served])),
      };
    }
    return { framework, variants: VARIANTS, modes, rate, latency, served, errors, stopped };
  } finally {
    for (const server of Object.values(servers)) await server.child.kill();
  }
}
