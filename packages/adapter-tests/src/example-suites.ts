import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import type { TrustProxy } from '@mapp-s2s/core';
import { request, setCookieValue } from './browser.js';
import { hitsAfter, lastHitId, waitForHit } from './hits.js';
import type { RunningShop, ShopEnv } from './types.js';

/** How an adapter's example shop plugs into `defineExampleShopSuite()`. */
export interface ExampleShopSuiteOptions {
  /** The example's folder, e.g. `examples/express`, shown in the test names. */
  name: string;
  /** Starts the example shop pointed at the collector. */
  startShop(env: ShopEnv): Promise<RunningShop>;
  /** The example's `readSettings(env)`. */
  readSettings(env: Readonly<Record<string, string | undefined>>): unknown;
  /** The example's `parseTrustProxy(value)`. */
  parseTrustProxy(value: string): TrustProxy;
  /**
   * The example's error handler in front of one route, `GET /boom`, that throws an `Error`
   * naming an absolute path: proves a real 500 answers the shop's plain page.
   */
  serveThrowingRoute(): Promise<{ url: string; close(): Promise<void> }>;
}

/** A stack frame, an absolute file path or a module folder: what an error answer must never show. */
const LEAK = /\bat \S+ \(|\bat (?:file:\/\/)?\/|(?:^|[\s"'(=])\/(?:[\w.@-]+\/)+[\w.@-]+\.(?:[cm]?[jt]s|tsx)\b|node_modules|[A-Za-z]Error:/;

/** Fails with the body when it shows a stack trace or a path. */
function expectNoLeak(label: string, body: string): void {
  const cwd = process.cwd();
  expect({ label, leak: LEAK.exec(body)?.[0] ?? null, cwd: body.includes(cwd) }).toEqual({ label, leak: null, cwd: false });
}

/**
 * Registers the example-shop tests beyond the conformance suite: its backend newsletter
 * event, its cart, and its settings parsing. Call it at the top level of a jest test file.
 */
export function defineExampleShopSuite(options: ExampleShopSuiteOptions): void {
  describe(`${options.name} beyond the shared suite`, () => {
    let collector: Collector;
    let shop: RunningShop;

    beforeAll(async () => {
      collector = await startCollector();
      shop = await options.startShop({ trackId: '123451234512345', trackDomain: collector.url, transport: 'direct', trustProxy: 'loopback' });
    });

    afterAll(async () => {
      await shop.close();
      await collector.close();
    });

    it('sends the newsletter sign-up as a backend event of the visitor, then redirects home', async () => {
      const home = await request(shop.url, '/');
      const eid = setCookieValue(home.setCookies, 'wtstp_eid') ?? '';
      expect(home.body).toContain('action="/newsletter"');
      const response = await request(shop.url, '/newsletter', {
        method: 'POST',
        cookies: { wtstp_eid: eid },
        headers: { 'content-type': 'application/x-www-form-urlencoded', referer: `${shop.url}/` },
      });
      expect(response.status).toBe(303);
      const event = await waitForHit(collector, (hit) => hit.params['ct'] === 'newsletter_signup' && hit.params['eid'] === eid, 5000, 'newsletter event');
      expect(event.type).toBe('event');
      expect(event.params['ck1']).toBe('home');
      expect(event.problems).toEqual([]);
      expect(event.raw).not.toContain('example.com');
    });

    it.each(['/products/__proto__', '/products/constructor', '/products/toString', '/products/hasOwnProperty', '/products/sku-999'])(
      'answers %s, a product outside the catalogue, with the 404 page and sends no page view for it',
      async (path) => {
        const before = lastHitId(collector);
        const response = await request(shop.url, path);
        const marker = `/?mk=after-404-${Date.now().toString(36)}`;
        await request(shop.url, marker);
        const markerHit = await waitForHit(collector, (hit) => (hit.params['pu'] ?? '').endsWith(marker), 5000, marker);

        expect(response.status).toBe(404);
        expect(response.contentType).toContain('text/html');
        expect(response.body).toContain('Page not found');
        expectNoLeak(path, response.body);
        expect(hitsAfter(collector, before).map((hit) => hit.raw)).toEqual([markerHit.raw]);
      },
    );

    it.each(['__proto__', 'constructor', 'toString', 'sku-999'])('serves the cart for ?add=%s and adds nothing', async (id) => {
      const response = await request(shop.url, `/cart?add=${id}`);
      const eid = setCookieValue(response.setCookies, 'wtstp_eid');
      const hit = await waitForHit(collector, (candidate) => candidate.params['eid'] === eid, 5000, `cart ?add=${id}`);

      expect(response.status).toBe(200);
      expect(response.body).toContain('Your cart');
      expect(response.body).not.toContain('Added');
      expect(hit.params['ba']).toBeUndefined();
      expect(hit.params['st']).toBeUndefined();
    });

    it.each(['/products/%', '/products/%E0%A4%A', '/products/%zz?add=1'])('answers the malformed escape %s with no stack trace or path', async (path) => {
      const response = await request(shop.url, path);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expectNoLeak(path, response.body);
    });

    it('answers a thrown error with a plain 500 page: no message, stack trace or path', async () => {
      const app = await options.serveThrowingRoute();
      const log = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        const response = await request(app.url, '/boom');
        // The details belong in the server's log, not in the answer.
        expect(log).toHaveBeenCalled();
        expect(response.status).toBe(500);
        expect(response.contentType).toContain('text/html');
        expect(response.body).toContain('Something went wrong');
        expect(response.body).not.toContain('boom');
        expectNoLeak('/boom', response.body);
      } finally {
        log.mockRestore();
        await app.close();
      }
    });

    it('adds a product to the cart with status add', async () => {
      const { setCookies } = await request(shop.url, '/cart?add=sku-3');
      const eid = setCookieValue(setCookies, 'wtstp_eid');
      const hit = await waitForHit(collector, (candidate) => candidate.params['eid'] === eid, 5000, 'cart add');
      expect(hit.params['ba']).toBe('sku-3');
      expect(hit.params['st']).toBe('add');
    });
  });

  describe(`${options.name} metrics at /metrics`, () => {
    let collector: Collector;
    let shop: RunningShop;

    beforeAll(async () => {
      // A shop of its own: its counters start at 0, so the test knows every request they count.
      collector = await startCollector();
      shop = await options.startShop({ trackId: '123451234512345', trackDomain: collector.url, transport: 'direct', trustProxy: 'loopback' });
    });

    afterAll(async () => {
      await shop.close();
      await collector.close();
    });

    /** Scrapes `/metrics` and parses the Prometheus text: `name{labels}` → value. */
    async function scrape(): Promise<{ contentType: string; values: Map<string, number> }> {
      const response = await fetch(`${shop.url}/metrics`);
      expect(response.status).toBe(200);
      return { contentType: response.headers.get('content-type') ?? '', values: parsePrometheusText(await response.text()) };
    }

    it('counts page views sent, requests skipped by reason and the queue, as Prometheus text, without tracking the scrapes', async () => {
      const first = await scrape();
      expect(first.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(first.values.get('mapp_s2s_hits_sent_total')).toBe(0);

      for (const path of ['/', '/products/sku-1', '/cart']) await request(shop.url, path);
      await request(shop.url, '/products/sku-2', { headers: { 'user-agent': 'curl/8.5.0' } });
      await request(shop.url, '/', { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' } });
      await request(shop.url, '/static/app.css', { headers: { accept: 'text/css' } });
      await collector.waitForHits(3);

      // `sent` counts once Mapp (the collector) answered, just after it stored the hit.
      const deadline = Date.now() + 5000;
      let metrics = await scrape();
      while (metrics.values.get('mapp_s2s_hits_sent_total') !== 3 && Date.now() < deadline) metrics = await scrape();
      const { values } = metrics;

      expect(values.get('mapp_s2s_hits_sent_total')).toBe(3);
      expect(values.get('mapp_s2s_hits_enqueued_total')).toBe(3);
      expect(values.get('mapp_s2s_requests_skipped_total{reason="bot"}')).toBe(2);
      expect(values.get('mapp_s2s_requests_skipped_total{reason="asset"}')).toBe(1);
      expect(values.get('mapp_s2s_queue_depth')).toBe(0);
      expect(values.get('mapp_s2s_in_flight')).toBe(0);
      expect(values.get('mapp_s2s_send_duration_seconds_count')).toBe(3);
      expect([...values.keys()].filter((key) => key.startsWith('mapp_s2s_hits_dropped_total'))).toEqual([]);
      // The scrapes themselves are opted out: the collector got the three page views, nothing else.
      expect(collector.hits().map((hit) => new URL(hit.params['pu'] ?? 'x:').pathname)).toEqual(['/', '/products/sku-1', '/cart']);

      // Opted-out routes count as skipped `route`: two /health checks (and the scrapes before).
      const routeBefore = values.get('mapp_s2s_requests_skipped_total{reason="route"}') ?? 0;
      for (let n = 0; n < 2; n++) expect((await request(shop.url, '/health')).status).toBe(200);
      let routeAfter = (await scrape()).values.get('mapp_s2s_requests_skipped_total{reason="route"}') ?? 0;
      while (routeAfter < routeBefore + 2 && Date.now() < deadline + 5000) routeAfter = (await scrape()).values.get('mapp_s2s_requests_skipped_total{reason="route"}') ?? 0;
      expect(routeAfter).toBeGreaterThanOrEqual(routeBefore + 2);

      // The counters are the tracker's own totals: a second scrape shows the same.
      const again = (await scrape()).values;
      expect(again.get('mapp_s2s_hits_sent_total')).toBe(3);
      expect(again.get('mapp_s2s_requests_skipped_total{reason="bot"}')).toBe(2);
    });
  });

  describe(`${options.name} settings`, () => {
    const { readSettings, parseTrustProxy } = options;
    const env = { MAPP_TRACK_ID: '123451234512345', MAPP_TRACK_DOMAIN: 'http://127.0.0.1:9700' };

    it('names the missing variables', () => {
      expect(() => readSettings({})).toThrow(/^MAPP_TRACK_ID and MAPP_TRACK_DOMAIN must be set/);
      expect(() => readSettings({ MAPP_TRACK_ID: env.MAPP_TRACK_ID })).toThrow(/^MAPP_TRACK_DOMAIN must be set/);
    });

    it('applies the documented defaults', () => {
      expect(readSettings(env)).toEqual({ ...{ trackId: env.MAPP_TRACK_ID, trackDomain: env.MAPP_TRACK_DOMAIN }, port: 3000, transport: 'batch', trustProxy: 'loopback', spoolDir: './.spool', redis: { url: 'redis://127.0.0.1:6379', stream: 'mapp:hits', shards: 4 }, flushInterval: undefined });
    });

    it('reads fleet mode: MAPP_TRANSPORT=redis with MAPP_REDIS_URL, MAPP_REDIS_STREAM and MAPP_REDIS_SHARDS', () => {
      expect(readSettings({ ...env, MAPP_TRANSPORT: 'redis', MAPP_REDIS_URL: 'redis://10.0.0.5:6380', MAPP_REDIS_STREAM: 'shop:hits', MAPP_REDIS_SHARDS: '8' })).toMatchObject({
        transport: 'redis',
        redis: { url: 'redis://10.0.0.5:6380', stream: 'shop:hits', shards: 8 },
      });
      expect(() => readSettings({ ...env, MAPP_TRANSPORT: 'redis', MAPP_REDIS_SHARDS: 'many' })).toThrow(/MAPP_REDIS_SHARDS/);
    });

    it('rejects a bad transport, port or flush interval', () => {
      expect(() => readSettings({ ...env, MAPP_TRANSPORT: 'carrier-pigeon' })).toThrow(/MAPP_TRANSPORT/);
      expect(() => readSettings({ ...env, PORT: 'eighty' })).toThrow(/PORT/);
      expect(() => readSettings({ ...env, MAPP_FLUSH_INTERVAL: '-5' })).toThrow(/MAPP_FLUSH_INTERVAL/);
    });

    it.each([
      ['true', true],
      ['false', false],
      ['2', 2],
      ['loopback', 'loopback'],
      ['10.0.0.0/8, loopback', ['10.0.0.0/8', 'loopback']],
    ])('parses MAPP_TRUST_PROXY=%s', (value, expected) => {
      expect(parseTrustProxy(value)).toEqual(expected);
    });
  });
}

/** Prometheus text exposition: `name{labels}` (as written) → value; comments skipped. */
function parsePrometheusText(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** Resolves true when something accepts connections on the port, false when refused. */
function isListening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      done(true);
    });
    socket.on('error', () => done(false));
  });
}

/**
 * Registers the tests that start an example shop the way its README says (`pnpm --dir
 * <dir> start`) and stop it with SIGTERM. `dir` is the example's absolute path; its folder
 * name gives the shop's log prefix (`examples/express` logs as `example-express-shop`).
 */
export function defineExampleStartSuite(dir: string): void {
  const example = `examples/${basename(dir)}`;
  const logName = `example-${basename(dir)}-shop`;

  describe(`${example} started as the issue says (\`pnpm --dir ${example} start\`)`, () => {
    let spoolDir: string;
    beforeEach(() => {
      spoolDir = mkdtempSync(join(tmpdir(), 'mapp-example-start-'));
    });
    afterEach(() => {
      rmSync(spoolDir, { recursive: true, force: true });
    });

    it('shuts down cleanly on SIGTERM to pnpm: no orphan server, every tracked page in a finished spool file', async () => {
      const child = spawn('pnpm', ['--dir', dir, 'start'], {
        env: { ...process.env, PORT: '0', MAPP_TRACK_ID: '123451234512345', MAPP_TRACK_DOMAIN: 'http://127.0.0.1:9', MAPP_TRANSPORT: 'spool', MAPP_SPOOL_DIR: spoolDir, MAPP_TRUST_PROXY: 'loopback' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      const port = await new Promise<number>((done, fail) => {
        const onData = (): void => {
          const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
          if (match) done(Number(match[1]));
        };
        child.stdout.on('data', onData);
        void exited.then(() => fail(new Error(`the shop exited before listening:\n${output}`)));
      });
      expect(output).toContain('NODE_ENV production');
      const pages = ['/', '/products/sku-1', '/cart'];
      for (const path of pages) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0', accept: 'text/html' } });
        expect(res.status).toBe(200);
        await res.text();
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('SIGTERM, closing');
      expect(await isListening(port)).toBe(false);
      const files = readdirSync(spoolDir);
      expect(files.filter((name) => name.endsWith('.tmp'))).toEqual([]);
      const lines = files.filter((name) => name.endsWith('.log')).flatMap((name) => readFileSync(join(spoolDir, name), 'utf8').split('\n').filter((line) => line !== ''));
      expect(lines).toHaveLength(pages.length);
    }, 60_000);

    it('refuses an invalid MAPP_TRUST_PROXY with one clear line and exit 1, not a stack trace', async () => {
      const child = spawn('pnpm', ['--silent', '--dir', dir, 'start'], {
        env: { ...process.env, PORT: '0', MAPP_TRACK_ID: '123451234512345', MAPP_TRACK_DOMAIN: 'http://127.0.0.1:9', MAPP_TRUST_PROXY: 'loopback, not-an-ip' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((done) => child.once('exit', (exitCode) => done(exitCode)));
      expect(code).toBe(1);
      expect(stderr).toContain(`${logName}: mapp-s2s: invalid option \`trustProxy\`: received ["loopback","not-an-ip"]`);
      expect(stderr).not.toMatch(/^\s+at /m);
    }, 60_000);
  });
}
