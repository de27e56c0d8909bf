/**
 * Part 8: `mapp-s2s import` (issue 17). A generated access log (a realistic mix: browsers
 * on desktop and mobile, IPv4 and IPv6, assets, bots, 404s and redirects, POSTs, a few
 * malformed lines) is imported by the built CLI in a child process:
 *
 * - parse rate: `--dry-run` (every line parsed, every page view built into its hit line by
 *   the core, nothing sent), lines per second, median of `rounds`, in `combined` and in a
 *   custom nginx `log_format` (forwarded chain, host, Mapp cookie); target ≥ 100,000 lines/s;
 * - end to end: the same log sent with the batch transport to the local sink over loopback,
 *   every page view counted at the sink;
 * - memory: a large log (`largeBytes`, 200 MB by default) sent end to end while the parent
 *   samples the child's RSS from /proc: it must stay flat (streaming, backpressure).
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from './child.mjs';
import { median } from './stats.mjs';

const TRACK_ID = '123451234512345';
/** Target of issue 17. */
export const IMPORT_TARGET_LINES_PER_SEC = 100_000;
/** V8 old-space cap of the large-log run, in MB. */
const HEAP_CAP_MB = 96;

const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
];
const BOTS = ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'curl/8.5.0', 'python-requests/2.32.3'];
const ASSETS = ['/static/js/app.4f3a9c.js', '/static/css/main.91bd.css', '/img/hero.webp', '/favicon.ico', '/fonts/inter.woff2', '/img/products/sku-1234.jpg'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export const CUSTOM_FORMAT = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" $host $cookie_wteid_${TRACK_ID}`;

function two(n) {
  return n < 10 ? `0${n}` : String(n);
}

/** Deterministic pseudo-random numbers (same log every run). */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/**
 * Writes a log of about `bytes` bytes and resolves with its line count. Traffic comes in
 * visits, as in a real log: 300 visits are under way at any moment, each a visitor (one of
 * 20,000, a sixth of them on IPv6, on one of six browsers) loading pages with their assets,
 * interleaved with bots, 404s, redirects and POSTs; about a third of the lines are page views.
 */
export async function generateLog(path, bytes, { custom = false, seed = 17 } = {}) {
  const rnd = random(seed);
  const visitors = Array.from({ length: 20_000 }, (_, i) => ({
    ip: i % 6 === 0 ? `2001:db8:${(i >> 8).toString(16)}::${(i & 255).toString(16)}` : `${(i % 200) + 23}.${(i >> 5) & 255}.${i & 31}.${(i * 7) & 255}`,
    ua: UAS[i % UAS.length],
    eid: i % 3 === 0 ? `2${String(1_730_000_000 + i)}${String(10_000_000 + i).slice(-8)}` : '-',
  }));
  const newVisit = () => ({ visitor: visitors[Math.floor(rnd() * visitors.length)], left: 1 + Math.floor(rnd() * 24) });
  const visits = Array.from({ length: 300 }, newVisit);
  const out = createWriteStream(path);
  let written = 0;
  let lines = 0;
  let time = Date.UTC(2025, 10, 3, 6, 0, 0);
  let stamp = '';
  let stampSecond = -1;
  while (written < bytes) {
    let buffer = '';
    for (let k = 0; k < 2000; k++) {
      time += Math.floor(rnd() * 40);
      const second = Math.floor(time / 1000);
      if (second !== stampSecond) {
        const d = new Date(time + 3_600_000);
        stamp = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0100`;
        stampSecond = second;
      }
      const slot = Math.floor(rnd() * visits.length);
      const visit = visits[slot];
      if (--visit.left <= 0) visits[slot] = newVisit();
      const v = visit.visitor;
      const roll = rnd();
      let method = 'GET';
      let path = `/products/${Math.floor(rnd() * 5000)}?ref=list&page=${Math.floor(rnd() * 9)}`;
      let status = 200;
      let ua = v.ua;
      let ip = v.ip;
      let referrer = 'https://www.example.com/';
      if (roll < 0.45) path = ASSETS[Math.floor(rnd() * ASSETS.length)];
      else if (roll < 0.55) {
        ua = BOTS[Math.floor(rnd() * BOTS.length)];
        ip = `66.249.${Math.floor(rnd() * 80)}.${Math.floor(rnd() * 250)}`;
      } else if (roll < 0.58) status = 404;
      else if (roll < 0.6) status = 301;
      else if (roll < 0.62) method = 'POST';
      else if (roll < 0.7) {
        path = `/search?q=${encodeURIComponent(`red shoes ${Math.floor(rnd() * 100)}`)}`;
        referrer = 'https://www.google.com/';
      }
      let line = `${ip} - - [${stamp}] "${method} ${path} HTTP/1.1" ${status} ${Math.floor(rnd() * 90_000)} "${referrer}" "${ua}"`;
      if (custom) line += ` "${rnd() < 0.2 ? `${ip}, 10.0.0.${Math.floor(rnd() * 9)}` : '-'}" www.example.com ${v.eid}`;
      if (lines % 50_000 === 49_999) line = `${ip} - - [${stamp}] "GET / HTTP/1.1" truncated by a full disk`;
      buffer += `${line}\n`;
      lines++;
    }
    written += Buffer.byteLength(buffer);
    if (!out.write(buffer)) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
  return { lines, bytes: statSync(path).size };
}

/** Runs one import in a fresh child, sampling its RSS. */
async function importOnce(payload, sampleMs = 200, execArgv = []) {
  const child = await startChild(new URL('./import-child.mjs', import.meta.url).pathname, [], { execArgv });
  const rss = [];
  const startRss = child.rssBytes();
  const timer = setInterval(() => {
    const value = child.rssBytes();
    if (value !== undefined) rss.push(value);
  }, sampleMs);
  try {
    const result = await child.call('run', payload);
    return { ...result, startRssBytes: startRss, peakRssBytes: Math.max(startRss ?? 0, ...rss), rssSamples: rss.length };
  } finally {
    clearInterval(timer);
    await child.kill();
  }
}

export async function benchImport(sink, { rateBytes, largeBytes, rounds, log }) {
  const dir = mkdtempSync(join(tmpdir(), 'mapp-bench-import-'));
  try {
    const combined = join(dir, 'access.log');
    const custom = join(dir, 'access-custom.log');
    const large = join(dir, 'large.log');
    const combinedInfo = await generateLog(combined, rateBytes);
    const customInfo = await generateLog(custom, rateBytes, { custom: true });
    log(`  generated ${combinedInfo.lines} lines (${(combinedInfo.bytes / 1048576).toFixed(0)} MB) in combined and in a custom log_format`);
    const site = ['--track-id', TRACK_ID, '--host', 'www.example.com', '--no-state'];
    const parse = {};
    for (const [name, file, format] of [['combined', combined, 'combined'], ['custom', custom, CUSTOM_FORMAT]]) {
      const runs = [];
      for (let round = 0; round < rounds; round++) {
        const r = await importOnce({ args: [...site, '--dry-run', '--format', format, file], dryRun: true });
        if (r.code !== 0) throw new Error(`import --dry-run exited ${r.code}: ${r.summary}`);
        runs.push({ linesPerSec: r.linesRead / (r.elapsedMs / 1000), linesPerCpuSec: r.linesRead / (r.cpuMs / 1000), elapsedMs: r.elapsedMs, cpuMs: r.cpuMs, linesRead: r.linesRead, pageViews: r.pageViews, peakRssBytes: r.peakRssBytes });
      }
      const linesPerSec = median(runs.map((r) => r.linesPerSec));
      parse[name] = { runs, linesPerSec, linesPerCpuSec: median(runs.map((r) => r.linesPerCpuSec)), pageViews: runs[0].pageViews, linesRead: runs[0].linesRead, summary: undefined };
      log(`  parse + build (${name}, dry run): ${Math.round(linesPerSec).toLocaleString('en-US')} lines/s, ${Math.round(parse[name].linesPerCpuSec).toLocaleString('en-US')} lines per CPU-second (medians of ${rounds}), ${runs[0].pageViews} page views of ${runs[0].linesRead} lines`);
    }

    const { port } = await sink.call('open', { name: 'import-e2e', ids: false });
    const origin = `http://127.0.0.1:${port}`;
    const e2e = await importOnce({ args: ['--track-id', TRACK_ID, '--host', 'www.example.com', '--no-state', '--track-domain', origin, combined], dryRun: false });
    const e2eSink = await sink.call('stats', { name: 'import-e2e' });
    if (e2e.code !== 0) throw new Error(`import exited ${e2e.code}: ${e2e.stderr}`);
    const endToEnd = { linesPerSec: e2e.linesRead / (e2e.elapsedMs / 1000), linesPerCpuSec: e2e.linesRead / (e2e.cpuMs / 1000), elapsedMs: e2e.elapsedMs, cpuMs: e2e.cpuMs, linesRead: e2e.linesRead, pageViews: e2e.pageViews, delivered: e2eSink.lines, requests: e2eSink.requests, peakRssBytes: e2e.peakRssBytes };
    log(`  end to end (batch to the sink): ${Math.round(endToEnd.linesPerSec).toLocaleString('en-US')} lines/s, ${endToEnd.delivered} of ${endToEnd.pageViews} page views arrived in ${endToEnd.requests} POSTs`);

    const largeInfo = await generateLog(large, largeBytes, { seed: 99 });
    log(`  generated the large log: ${largeInfo.lines} lines, ${(largeInfo.bytes / 1048576).toFixed(0)} MB`);
    const { port: largePort } = await sink.call('open', { name: 'import-large', ids: false });
    const state = join(dir, 'state.json');
    // The V8 heap is capped well below the log's size: a leak would end the run out of memory.
    const big = await importOnce({ args: ['--track-id', TRACK_ID, '--host', 'www.example.com', '--state', state, '--track-domain', `http://127.0.0.1:${largePort}`, large], dryRun: false }, 250, [`--max-old-space-size=${HEAP_CAP_MB}`]);
    const bigSink = await sink.call('stats', { name: 'import-large' });
    if (big.code !== 0) throw new Error(`import of the large log exited ${big.code}: ${big.stderr}`);
    const memory = {
      fileBytes: largeInfo.bytes,
      lines: largeInfo.lines,
      linesRead: big.linesRead,
      pageViews: big.pageViews,
      delivered: bigSink.lines,
      linesPerSec: big.linesRead / (big.elapsedMs / 1000),
      elapsedMs: big.elapsedMs,
      startRssBytes: big.startRssBytes,
      peakRssBytes: big.peakRssBytes,
      rssSamples: big.rssSamples,
      heapCapMb: HEAP_CAP_MB,
    };
    log(`  large log end to end (V8 heap capped at ${HEAP_CAP_MB} MB): ${Math.round(memory.linesPerSec).toLocaleString('en-US')} lines/s, peak RSS ${(memory.peakRssBytes / 1048576).toFixed(0)} MB for a ${(memory.fileBytes / 1048576).toFixed(0)} MB log, ${memory.delivered} of ${memory.pageViews} page views arrived`);
    return { date: new Date().toISOString(), loadavg: loadavg(), target: IMPORT_TARGET_LINES_PER_SEC, rounds, logBytes: combinedInfo.bytes, logLines: combinedInfo.lines, customFormat: CUSTOM_FORMAT, parse, endToEnd, memory };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
