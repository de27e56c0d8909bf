/**
 * Part 7: fleet mode end to end. App process → Redis Streams (redisStreamTransport) → shipper
 * process (createRedisShipper) → the sink, next to the batch transport (app → sink) in the
 * same run: end-to-end hits/s (from the first track() to the last hit counted at the sink, by
 * unique id) and the app process's CPU per hit. The shipper's and redis-server's CPU per hit
 * are reported too: fleet mode moves the sending work out of the app, not out of the world.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startChild } from './child.mjs';
import { startRedis } from '../../scripts/redis-server.mjs';
import { median } from './stats.mjs';

const PEER_CLIENT = fileURLToPath(new URL('./peer-client.mjs', import.meta.url));
const SHIPPER = fileURLToPath(new URL('./fleet-shipper.mjs', import.meta.url));
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Issue 15's targets. */
export const FLEET_TARGETS = { endToEndHitsPerSec: 20_000, appCpuVsBatch: 1 };

/** CPU time (user + system) of a process in µs, from /proc (clock ticks of 10 ms). */
function procCpuUs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return NaN;
  }
}

async function untilDelivered(sink, name, n, deadlineMs) {
  const t0 = performance.now();
  for (;;) {
    const stats = await sink.call('stats', { name });
    if (stats.unique >= n) return { at: performance.now(), stats };
    if (performance.now() - t0 > deadlineMs) return { at: undefined, stats };
    await delay(5);
  }
}

async function runBatch(sink, n, run) {
  const name = `fleet-batch-${run}`;
  const { port } = await sink.call('open', { name });
  const app = await startChild(PEER_CLIENT, ['mapp-batch', 'throughput', String(n), `http://127.0.0.1:${port}`, tmpdir()]);
  const t0 = performance.now();
  const r = await app.call('throughput');
  const { at, stats } = await untilDelivered(sink, name, n, 30_000);
  await app.kill();
  return { endToEndHitsPerSec: at === undefined ? 0 : (n / (at - t0)) * 1000, appCpuUsPerHit: r.cpuUs / n, appMs: r.elapsedMs, unique: stats.unique, dups: stats.dups, requests: stats.requests };
}

async function runRedis(sink, redis, n, run) {
  const name = `fleet-redis-${run}`;
  const stream = `bench:fleet:${run}`;
  const { port } = await sink.call('open', { name });
  const origin = `http://127.0.0.1:${port}`;
  const shipper = await startChild(SHIPPER, [redis.url, stream, origin]);
  const app = await startChild(PEER_CLIENT, ['mapp-redis', 'throughput', String(n), origin, tmpdir()], { env: { BENCH_REDIS_URL: redis.url, BENCH_REDIS_STREAM: stream } });
  const shipperCpu0 = procCpuUs(shipper.pid);
  const redisCpu0 = procCpuUs(redis.pid);
  const t0 = performance.now();
  const r = await app.call('throughput');
  const { at, stats } = await untilDelivered(sink, name, n, 60_000);
  const shipperCpuUs = procCpuUs(shipper.pid) - shipperCpu0;
  const redisCpuUs = procCpuUs(redis.pid) - redisCpu0;
  const shipped = await shipper.call('stats');
  await shipper.call('stop');
  await Promise.all([app.kill(), shipper.kill()]);
  return {
    endToEndHitsPerSec: at === undefined ? 0 : (n / (at - t0)) * 1000,
    appCpuUsPerHit: r.cpuUs / n,
    appMs: r.elapsedMs,
    shipperCpuUsPerHit: shipperCpuUs / n,
    redisCpuUsPerHit: redisCpuUs / n,
    unique: stats.unique,
    dups: stats.dups,
    requests: stats.requests,
    appDropped: r.stats?.dropped ?? {},
    shipped,
  };
}

/** Runs `runs` A/B rounds (alternating order) of `n` events each. */
export async function benchFleet(sink, { n, runs, log }) {
  const redis = await startRedis();
  const rows = { batch: [], redis: [] };
  try {
    for (let run = 0; run < runs; run += 1) {
      const order = run % 2 === 0 ? ['batch', 'redis'] : ['redis', 'batch'];
      for (const subject of order) {
        const row = subject === 'batch' ? await runBatch(sink, n, run) : await runRedis(sink, redis, n, run);
        rows[subject].push(row);
        const extra = subject === 'redis' ? `, shipper ${row.shipperCpuUsPerHit.toFixed(2)} µs/hit, redis-server ${row.redisCpuUsPerHit.toFixed(2)} µs/hit` : '';
        log(`  ${subject.padEnd(5)} run ${run + 1}: end to end ${Math.round(row.endToEndHitsPerSec)} hits/s, app CPU ${row.appCpuUsPerHit.toFixed(2)} µs/hit${extra}, received ${row.unique}/${n} (dups ${row.dups})`);
      }
    }
  } finally {
    await redis.stop();
  }
  const summarize = (list) => ({
    endToEndHitsPerSec: median(list.map((row) => row.endToEndHitsPerSec)),
    appCpuUsPerHit: median(list.map((row) => row.appCpuUsPerHit)),
    unique: Math.min(...list.map((row) => row.unique)),
    dups: Math.max(...list.map((row) => row.dups)),
    ...(list[0]?.shipperCpuUsPerHit === undefined
      ? {}
      : { shipperCpuUsPerHit: median(list.map((row) => row.shipperCpuUsPerHit)), redisCpuUsPerHit: median(list.map((row) => row.redisCpuUsPerHit)) }),
  });
  return { n, runs, rows, summary: { batch: summarize(rows.batch), redis: summarize(rows.redis) } };
}
