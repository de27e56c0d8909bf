/**
 * Part 1: middleware overhead. Bare Express/Koa versus the same app with `mappTracking()`
 * in each transport. Every server runs in its own child process; autocannon runs here.
 * Throughput: alternating rounds (A/B/C/D, A/B/C/D, ...) so machine noise hits every
 * variant alike; the median of the rounds is reported. Latency: a fixed rate of half the
 * bare maximum, with each response time recorded at full precision (autocannon's own
 * histogram has 1 ms resolution, too coarse for a sub-millisecond target).
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

export const VARIANTS = ['bare', 'direct', 'batch', 'batch500', 'spool'];

/** How each variant is shown in the report. */
export const VARIANT_LABELS = { bare: 'bare', direct: '`direct`', batch: '`batch` (defaults)', batch500: '`batch`, maxBatchSize 500', spool: '`spool`' };

const HEADERS = {
  'user-agent': BROWSER_UA,
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-US,en;q=0.9',
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
  cookie: EID_COOKIE,
};

function runCannon(port, { duration, connections, overallRate, onLatency }) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}/`,
        headers: HEADERS,
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
  const servers = {};
  for (const variant of VARIANTS) servers[variant] = await startServer(framework, variant, origins[variant]);
  const rps = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  const served = Object.fromEntries(VARIANTS.map((v) => [v, 0]));
  const errors = Object.fromEntries(VARIANTS.map((v) => [v, 0]));
  const cpu = Object.fromEntries(VARIANTS.map((v) => [v, { us: 0, served: 0 }]));
  try {
    for (const variant of VARIANTS) {
      const warm = await runCannon(servers[variant].port, { duration: warmup, connections });
      served[variant] += warm.requests.total;
    }
    for (let round = 0; round < rounds; round++) {
      // Rotate the start so no variant always runs first (or right after the heaviest).
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
      for (const variant of order) {
        const before = await servers[variant].child.call('cpu');
        const result = await runCannon(servers[variant].port, { duration, connections });
        const after = await servers[variant].child.call('cpu');
        cpu[variant].us += after.cpuUs - before.cpuUs;
        cpu[variant].served += after.served - before.served;
        rps[variant].push(result.requests.average);
        served[variant] += result.requests.total;
        errors[variant] += result.errors + result.non2xx;
        log(`  ${framework} ${variant.padEnd(8)} round ${round + 1}: ${Math.round(result.requests.average)} req/s`);
      }
    }
    const bareMax = median(rps.bare);
    const rate = Math.max(50, Math.round(bareMax / 2));
    const latency = {};
    const latencyRuns = Object.fromEntries(VARIANTS.map((v) => [v, []]));
    for (let round = 0; round < latencyRounds; round++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
      for (const variant of order) {
        const samples = [];
        const result = await runCannon(servers[variant].port, {
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
      log(`  ${framework} ${variant.padEnd(8)} @${rate}/s: p50 ${latency[variant].p50.toFixed(3)} ms, p99 ${latency[variant].p99.toFixed(3)} ms (runs ${latency[variant].p99Runs.map((x) => x.toFixed(2)).join(', ')})`);
    }
    const stopped = {};
    for (const variant of VARIANTS) stopped[variant] = await stopServer(servers[variant]);
    const cpuUsPerRequest = Object.fromEntries(VARIANTS.map((v) => [v, cpu[v].us / cpu[v].served]));
    // Ratio per round (variant and bare measured seconds apart), then the median of those.
    const ratioToBare = Object.fromEntries(VARIANTS.map((v) => [v, median(rps[v].map((x, i) => x / rps.bare[i]))]));
    return { framework, ratioToBare, cpuUsPerRequest, rps, medianRps: Object.fromEntries(VARIANTS.map((v) => [v, median(rps[v])])), rate, latency, served, errors, stopped };
  } finally {
    for (const server of Object.values(servers)) await server.child.kill();
  }
}
