import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { startCollector } from '../src/index.js';
import type { Collector } from '../src/index.js';
import { ANONYMOUS, BROKEN, EVENT, ORDER, PAGE_VIEW, PRODUCT_VIEW, VISITOR_B } from './sample-lines.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', '..', 'artifacts');
const TRACK = '123451234512345';

// Launching Chromium on a shared 2-core machine can take a while.
jest.setTimeout(60_000);

async function post(collector: Collector, lines: string[]): Promise<void> {
  const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: lines.join('\n') });
  expect(res.status).toBe(200);
}

describe('inspector page in Chromium', () => {
  let collector: Collector;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}. Install it with "bash scripts/setup.sh --browser" (Debian package "chromium") or set CHROMIUM_PATH.`);
    }
    collector = await startCollector();
    await post(collector, [PAGE_VIEW, PRODUCT_VIEW, ANONYMOUS, BROKEN]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(collector.url)) external.push(request.url());
    });
    await page.goto(collector.url);
    await page.locator('#status.live').waitFor();
    expect(external).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await collector?.close();
  });

  it('loads with the stored hits, newest first, and the counters', async () => {
    await expect(page.title()).resolves.toContain('collector');
    const rows = page.locator('#list .row');
    await rows.nth(3).waitFor();
    await expect(rows.count()).resolves.toBe(4);
    await expect(rows.first().locator('.name').textContent()).resolves.toBe('bad+page');
    await page.locator('#c-total', { hasText: '4' }).waitFor();
    await expect(page.locator('#c-bad').textContent()).resolves.toBe('1');
  });

  it('shows a hit sent to the collector live, without a reload', async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await post(collector, [EVENT, ORDER]);
    await page.locator('#list .row', { hasText: 'shop.example.com/checkout/confirmation' }).waitFor();
    await expect(page.evaluate(() => (window as unknown as { marker?: number }).marker)).resolves.toBe(42);
    await expect(page.locator('#list .row').first().getAttribute('data-type')).resolves.toBe('order');
    await page.locator('#c-order', { hasText: '1' }).waitFor();
  });

  it('decodes the newest hit into readable groups', async () => {
    const detail = page.locator('#detail');
    await detail.locator('h2', { hasText: 'shop.example.com/checkout/confirmation' }).waitFor();
    const ecommerce = detail.locator('[data-group="E-commerce"]');
    await expect(ecommerce.locator('table.products tr').count()).resolves.toBe(3);
    await expect(ecommerce.textContent()).resolves.toEqual(expect.stringContaining('tee-7'));
    await expect(ecommerce.textContent()).resolves.toEqual(expect.stringContaining('ORD-1001'));
    await expect(detail.locator('[data-group="Visitor"]').textContent()).resolves.toEqual(expect.stringContaining(VISITOR_B));
    await expect(detail.locator('[data-group="Client info"]').textContent()).resolves.toEqual(expect.stringContaining('198.51.100.23'));
    // mc arrives double-encoded; the inspector shows it decoded once more.
    await expect(detail.locator('[data-group="Campaign"]').textContent()).resolves.toEqual(expect.stringContaining('wt_mc=newsletter.nov'));
    await expect(detail.locator('.ok').count()).resolves.toBe(1);
  });

  it('highlights the problems of an invalid hit', async () => {
    await page.locator('#list .row', { hasText: 'bad+page' }).click();
    const problems = page.locator('#detail #problems');
    await problems.waitFor();
    await expect(problems.textContent()).resolves.toEqual(expect.stringContaining('eid: "123" is not 19 digits'));
    await expect(problems.textContent()).resolves.toEqual(expect.stringContaining('mc: not double-encoded'));
  });

  it('filters by type, by visitor and by page name', async () => {
    const rows = page.locator('#list .row');
    await page.click('#f-type button[data-type="order"]');
    await page.waitForFunction(() => document.querySelectorAll('#list .row').length === 1);
    await expect(rows.first().getAttribute('data-type')).resolves.toBe('order');

    await page.click('#f-type button[data-type=""]');
    await page.fill('#f-eid', VISITOR_B);
    await page.waitForFunction(() => document.querySelectorAll('#list .row').length === 2);
    await expect(rows.allTextContents()).resolves.toEqual([expect.stringContaining('confirmation'), expect.stringContaining('cart')]);

    // A live hit that does not match the filter stays out of the list.
    await post(collector, [PAGE_VIEW]);
    await collector.waitForHits(7);
    await page.fill('#f-eid', '');
    await page.fill('#f-page', 'products');
    await page.waitForFunction(() => document.querySelectorAll('#list .row').length === 2);
    await page.fill('#f-page', '');
    await page.waitForFunction(() => document.querySelectorAll('#list .row').length === 7);
  });

  it('walks the list with the arrow keys', async () => {
    await page.locator('#list .row').first().click();
    await page.keyboard.press('ArrowDown');
    await expect(page.locator('#list .row.sel').getAttribute('data-id')).resolves.toBe('6');
    await expect(page.locator('#detail h2').textContent()).resolves.toContain('checkout/confirmation');
  });

  it('shows who sent each hit: a client badge per row, the parsed client in the detail, a breakdown by browser, OS and device', async () => {
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
    await post(collector, [`wt?p=600,from-a-phone,,,,,,0,,&X-WT-UA=${encodeURIComponent(iphone)}`]);
    const row = page.locator('#list .row', { hasText: 'from-a-phone' });
    await row.waitFor();
    await expect(row.locator('.client-badge').textContent()).resolves.toBe('Mobile Safari 17 \u00b7 iOS 17.4 \u00b7 mobile');
    // The sample lines carry a desktop Chrome on Linux; BROKEN names none, and node's fetch is no browser.
    await expect(page.locator('#list .row', { hasText: 'shop.example.com/cart' }).first().locator('.client-badge').textContent()).resolves.toBe('Chrome 131 \u00b7 Linux \u00b7 desktop');

    await row.click();
    const client = page.locator('#detail [data-group="Client info"]');
    await expect(client.textContent()).resolves.toEqual(expect.stringContaining('Mobile Safari 17.4'));
    await expect(client.textContent()).resolves.toEqual(expect.stringContaining('iPhone'));

    const devices = page.locator('#clients [data-dimension="device"]');
    await devices.locator('.bar-row[data-name="mobile"] .count', { hasText: '1' }).waitFor();
    await expect(devices.locator('.bar-row[data-name="desktop"] .count').textContent()).resolves.toBe('6');
    await expect(page.locator('#clients [data-dimension="browser"] .bar-row').first().getAttribute('data-name')).resolves.toBe('Chrome');
    await expect(page.locator('#clients [data-dimension="os"] .bar-row[data-name="iOS"] .count').textContent()).resolves.toBe('1');
  });

  it('shows parameters named like Object.prototype properties in the detail', async () => {
    await post(collector, ['wt?p=600,proto-names,,,,,,0,,&constructor=c1&toString=t1&__proto__=p1&hasOwnProperty=h1']);
    const row = page.locator('#list .row', { hasText: 'proto-names' });
    await row.waitFor();
    await row.click();
    const other = page.locator('#detail [data-group="Other"]');
    await other.waitFor();
    const cells = await other.locator('tr').evaluateAll((rows) => rows.map((tr) => [tr.querySelector('.k code')?.textContent, tr.querySelector('.v')?.textContent]));
    expect(cells).toEqual([
      ['constructor', 'c1'],
      ['toString', 't1'],
      ['__proto__', 'p1'],
      ['hasOwnProperty', 'h1'],
    ]);
  });

  it('saves a screenshot of the inspector', async () => {
    await page.locator('#list .row', { hasText: 'confirmation' }).click();
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'inspector.png');
    await page.screenshot({ path: file });
    expect(existsSync(file)).toBe(true);
  });
});

describe('inspector page told to reload by the live stream', () => {
  it('reloads its list on event: reload (sent instead of a replay longer than its list)', async () => {
    const collector = await startCollector();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      await post(collector, [PAGE_VIEW]);
      const page = await browser.newPage();
      let release: () => void = () => undefined;
      const stored = new Promise<void>((resolve) => (release = resolve));
      const streams: string[] = [];
      // The stream this page gets: no hits, only "reload", once a hit was stored that the page has not seen.
      await page.route('**/api/events*', async (route) => {
        streams.push(route.request().url());
        await stored;
        await route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: 'retry: 600000\nid: 2\nevent: reload\ndata: {"missed":1001,"replayLimit":1000}\n\n' });
      });
      await page.goto(collector.url);
      await page.locator('#list .row', { hasText: 'shop.example.com/' }).waitFor();
      await post(collector, ['wt?p=600,after-reload,,,,,,0,,']);
      release();
      await page.locator('#list .row', { hasText: 'after-reload' }).waitFor();
      await expect(page.locator('#list .row').count()).resolves.toBe(2);
      expect(streams[0]).toBe(`${collector.url}/api/events?replayLimit=1000`);
    } finally {
      await browser.close();
      await collector.close();
    }
  });
});
