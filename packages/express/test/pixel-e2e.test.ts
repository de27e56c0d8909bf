import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { startCollector, type Collector, type StoredHit } from '@mapp-s2s/collector';
import type { Tracker } from '@mapp-s2s/core';
import { createShop } from '../../../examples/express/src/app.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', '..', 'artifacts');
const TRACK_ID = '111111111111111';

// Launching Chromium on a shared 2-core machine can take a while.
jest.setTimeout(60_000);

/** Resolves with the first stored hit matching `predicate`; rejects at the deadline. */
function waitForHit(collector: Collector, predicate: (hit: StoredHit) => boolean, timeoutMs = 20_000): Promise<StoredHit> {
  return new Promise((resolve, reject) => {
    const done = (hit: StoredHit): void => {
      clearTimeout(deadline);
      unsubscribe();
      resolve(hit);
    };
    const unsubscribe = collector.onHit((hit) => {
      if (predicate(hit)) done(hit);
    });
    const deadline = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no matching hit within ${timeoutMs} ms; stored: ${collector.hits().map((hit) => hit.raw).join('\n')}`));
    }, timeoutMs);
    const existing = collector.hits().find(predicate);
    if (existing !== undefined) done(existing);
  });
}

/** Every key of a raw line that, decoded, names a client-information parameter. */
function clientInfoKeys(raw: string): string[] {
  return raw
    .replace(/^wt\?/, '')
    .split('&')
    .map((pair) => pair.split('=', 1)[0] ?? '')
    .filter((key) => /^x.wt.(ip|ua|rq|sec)/i.test(decodeURIComponent(decodeURIComponent(key)).replace(/_/g, '-')));
}

/** Starts the shop on HTTPS (self-signed, test only): the pixel always sends to https://. */
async function serveShop(app: Parameters<typeof createServer>[1]): Promise<{ server: Server; base: string }> {
  const fixtures = join(__dirname, 'fixtures');
  const server = createServer({ key: readFileSync(join(fixtures, 'test-only-localhost.key')), cert: readFileSync(join(fixtures, 'test-only-localhost.crt')) }, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The example shop with its pass-through in `forward` mode (the example reads MAPP_PIXEL_MODE when it mounts it). */
function forwardModeShop(options: Parameters<typeof createShop>[0]): ReturnType<typeof createShop> {
  const previous = process.env['MAPP_PIXEL_MODE'];
  process.env['MAPP_PIXEL_MODE'] = 'forward';
  try {
    return createShop(options);
  } finally {
    if (previous === undefined) delete process.env['MAPP_PIXEL_MODE'];
    else process.env['MAPP_PIXEL_MODE'] = previous;
  }
}

describe('the real Smart Pixel through /mapp/pixel of the Express shop', () => {
  let collector: Collector;
  let tracker: Tracker;
  let server: Server;
  let base: string;
  let forwardTracker: Tracker;
  let forwardServer: Server;
  let forwardBase: string;
  let batchTracker: Tracker;
  let batchServer: Server;
  let batchBase: string;
  let browser: Browser;
  let context: BrowserContext;
  const requested: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}. Install it with "bash scripts/setup.sh --browser" (Debian package "chromium") or set CHROMIUM_PATH.`);
    }
    collector = await startCollector();
    const shop = createShop({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'direct', trustProxy: 'loopback' });
    tracker = shop.tracker;
    ({ server, base } = await serveShop(shop.app));
    const forwarding = forwardModeShop({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'direct', trustProxy: 'loopback' });
    forwardTracker = forwarding.tracker;
    ({ server: forwardServer, base: forwardBase } = await serveShop(forwarding.app));
    // Queue mode (the default) into the batch transport: lines go into batches.
    const batching = createShop({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'batch', batch: { flushInterval: 20 }, trustProxy: 'loopback' });
    batchTracker = batching.tracker;
    ({ server: batchServer, base: batchBase } = await serveShop(batching.app));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 720 } });
    context.on('request', (request) => requested.push(request.url()));
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    await new Promise<void>((resolve) => (forwardServer === undefined ? resolve() : forwardServer.close(() => resolve())));
    await new Promise<void>((resolve) => (batchServer === undefined ? resolve() : batchServer.close(() => resolve())));
    await batchTracker?.close();
    await tracker?.close();
    await forwardTracker?.close();
    await collector?.close();
  });

  beforeEach(() => {
    requested.length = 0;
  });

  it('passes sendViaServer hits through with the pixel fields intact and the server’s client information', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/pixel?mode=server`);
    const userAgent = await page.evaluate(() => navigator.userAgent);
    const hit = await waitForHit(collector, (candidate) => candidate.p[1] === 'pixel-demo-server');
    await page.close();

    expect(hit.trackId).toBe(TRACK_ID);
    // The pixel's own fields: version, page name, JS on, screen, colour depth, cookies on, client time, window.
    expect(hit.p[0]).toBe('600');
    expect(hit.p[3]).toMatch(/^\d+x\d+$/);
    expect(hit.p[4]).toMatch(/^\d+$/);
    expect(hit.p[6]).toMatch(/^\d{13}$/);
    expect(hit.p[8]).toBe('1280x720');
    expect(hit.params['eid']).toMatch(/^2\d{18}$/);
    expect(hit.problems).toEqual([]);
    expect(hit.params['cp1']).toBe('server');
    // Set by our server: the browser's peer address, its User-Agent, the page.
    expect(hit.params['X-WT-IP']).toBe('127.0.0.1');
    expect(hit.params['X-WT-UA']).toBe(userAgent);
    expect(hit.params['X-WT-RQ']).toBe(`${base}/pixel?mode=server`);
    // Chromium sends its low-entropy client hints over HTTPS; the server forwards them.
    expect(hit.params['X-WT-SEC-CH-UA']).toContain('Chromium');
    expect(requested.some((url) => url.startsWith(`${base}/mapp/pixel?p=600,pixel-demo-server,`))).toBe(true);
    expect(requested.every((url) => url.startsWith(base))).toBe(true);

    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'pixel-e2e-line.txt'), `${hit.raw}\n`);
  });

  it('passes track-domain hits (<mount>/<trackId>/wt) through the same way', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/pixel?mode=domain`);
    const userAgent = await page.evaluate(() => navigator.userAgent);
    const hit = await waitForHit(collector, (candidate) => candidate.p[1] === 'pixel-demo-domain');
    await page.close();

    expect(hit.p[0]).toBe('600');
    expect(hit.p[3]).toMatch(/^\d+x\d+$/);
    expect(hit.params['cp1']).toBe('domain');
    expect(hit.params['X-WT-IP']).toBe('127.0.0.1');
    expect(hit.params['X-WT-UA']).toBe(userAgent);
    expect(requested.some((url) => url.startsWith(`${base}/mapp/pixel/${TRACK_ID}/wt?p=600,pixel-demo-domain,`))).toBe(true);
  });

  it('passes the pixel’s beacons (POST <mount>/<trackId>/batch) through', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/pixel?mode=beacon`);
    const userAgent = await page.evaluate(() => navigator.userAgent);
    const hit = await waitForHit(collector, (candidate) => candidate.p[1] === 'pixel-demo-beacon');
    await page.close();

    expect(hit.p[3]).toMatch(/^\d+x\d+$/);
    expect(hit.params['cp1']).toBe('beacon');
    expect(hit.params['X-WT-IP']).toBe('127.0.0.1');
    expect(hit.params['X-WT-UA']).toBe(userAgent);
    expect(requested).toContain(`${base}/mapp/pixel/${TRACK_ID}/batch`);
  });

  it('never lets values spoofed by the page through', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/pixel?mode=server&spoof=1`);
    const userAgent = await page.evaluate(() => navigator.userAgent);
    const names = [
      'pixel-demo-server&X-WT-IP=6.6.6.6&X-WT-UA=evil',
      'pixel-demo-handmade',
      'pixel-demo-handmade-fetch',
      'pixel-demo-handmade-beacon',
    ];
    const hits = await Promise.all(names.map((name) => waitForHit(collector, (candidate) => candidate.p[1] === name)));
    await page.close();

    for (const hit of hits) {
      expect(hit.params['X-WT-IP']).toBe('127.0.0.1');
      expect(hit.params['X-WT-UA']).toBe(userAgent);
      expect(hit.params['X-WT-SEC-CH-UA']).not.toBe('evil');
      // Exactly our own client-information keys, each once; the spoofed ones were removed.
      const keys = clientInfoKeys(hit.raw);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.every((key) => key.startsWith('X-WT-'))).toBe(true);
      expect(hit.raw).not.toMatch(/[?&]X-WT-IP=6\.6\.6\.6|X%2DWT|x-wt-sec-ch-ua=evil|X-WT-UA=evil/);
    }
    // The pixel encoded the page's attempt into its own fields, where it is harmless data.
    expect(hits[0]?.params['cp2']).toBe('&X-WT-IP=6.6.6.6&X-WT-UA=evil');
  });
  it('forwards a hit with about 10 KB of page parameters as one GET, intact but for the server’s X-WT values (forward mode)', async () => {
    const page = await context.newPage();
    await page.goto(`${forwardBase}/pixel?mode=server&pad=10000`);
    const expectedParameter = await page.evaluate(() => ('Größe 10, Farbe/Material: ' + new Array(21).join('Wanderschuh ')).slice(0, 200));
    const hit = await waitForHit(collector, (candidate) => candidate.p[1] === 'pixel-demo-server' && candidate.params['cp10'] !== undefined);
    await page.close();

    const sent = requested.filter((url) => url.startsWith(`${forwardBase}/mapp/pixel?p=600,pixel-demo-server,`));
    expect(sent).toHaveLength(1);
    const query = (sent[0] ?? '').slice((sent[0] ?? '').indexOf('?') + 1);
    expect(query.length).toBeGreaterThan(10_000);
    // One GET to the tracking endpoint, not a batch line, and only one.
    expect(hit.via).toBe('wt');
    expect(collector.hits().filter((candidate) => candidate.params['cp10'] !== undefined)).toHaveLength(1);
    // Byte for byte the browser's query, once the pairs the server owns are taken out.
    const pairs = hit.raw.slice('wt?'.length).split('&');
    const ours = pairs.filter((pair) => /^X-WT-(IP|UA|RQ|SEC-CH-UA[A-Z-]*)=/.test(pair));
    expect(ours.map((pair) => pair.split('=', 1)[0])).toEqual(expect.arrayContaining(['X-WT-IP', 'X-WT-UA', 'X-WT-RQ']));
    expect(pairs.filter((pair) => !ours.includes(pair)).join('&')).toBe(query);
    expect(hit.params['X-WT-IP']).toBe('127.0.0.1');
    expect(hit.params['cp10']).toBe(expectedParameter);
    // The collector holds batch lines to 7 KB, a single GET to the pixel's length: no problem here.
    expect(hit.problems).toEqual([]);

    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'pixel-e2e-long-line.txt'), `${hit.raw}\n`);
  });

  it('queues a hit with about 10 KB of page parameters and the batch transport sends it on its own as a GET (queue mode)', async () => {
    const page = await context.newPage();
    await page.goto(`${batchBase}/pixel?mode=server&pad=10000`);
    const host = new URL(batchBase).host;
    const hit = await waitForHit(collector, (candidate) => candidate.p[1] === 'pixel-demo-server' && candidate.params['cp10'] !== undefined && (candidate.params['pu'] ?? '').includes(host));
    await page.close();
    const sent = requested.filter((url) => url.startsWith(`${batchBase}/mapp/pixel?p=600,pixel-demo-server,`));
    expect(sent).toHaveLength(1);
    const query = (sent[0] ?? '').slice((sent[0] ?? '').indexOf('?') + 1);
    expect(query.length).toBeGreaterThan(10_000);
    // Too long for a batch line (7 KB): not dropped, not truncated, sent alone as a GET.
    expect(hit.via).toBe('wt');
    const pairs = hit.raw.slice('wt?'.length).split('&');
    const ours = pairs.filter((pair) => /^X-WT-(IP|UA|RQ|SEC-CH-UA[A-Z-]*)=/.test(pair));
    expect(pairs.filter((pair) => !ours.includes(pair)).join('&')).toBe(query);
    expect(hit.problems).toEqual([]);
    expect(batchTracker.stats().dropped).toEqual({});
  });
});
