/**
 * Part 4: cost per hit in the core (child process, so nothing else shares its heap/JIT).
 * Measures `buildLine()` (build + encode one page-view line from its inputs) and
 * `tracker.trackPageView()` (request context in: consent, visitor, page-view decision,
 * page name, client info, line, hand-over to a no-op transport), each for a simple and a
 * heavy hit, against `JSON.stringify` of the same input as a floor.
 * Method: warm-up, then 9 samples of a fixed iteration count; median ns per operation.
 */
import { buildLine, createTracker } from '@mapp-s2s/core';
import { serveParent } from './child.mjs';
import { BROWSER_UA, EID_COOKIE, TRACK_ID } from './constants.mjs';
import { median } from './stats.mjs';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

const HINTS = [
  ['X-WT-SEC-CH-UA', '"Chromium";v="131", "Google Chrome";v="131", "Not_A Brand";v="24"'],
  ['X-WT-SEC-CH-UA-MOBILE', '?0'],
  ['X-WT-SEC-CH-UA-PLATFORM', '"Windows"'],
];

/** The heavy hit: a checkout confirmation with 5 products and many parameters. */
export const HEAVY_DATA = {
  page: {
    name: 'shop.checkout.confirmation',
    parameters: { 1: 'de', 2: 'checkout', 3: 'step-4', 4: 'logged-in', 5: 'variant-b', 6: 42, 7: 'Grüße & Co', 8: 'a;b;c', 9: 'x'.repeat(40), 10: true },
    categories: { 1: 'Shop', 2: 'Checkout', 3: 'Confirmation', 4: 'Desktop', 5: 'EUR' },
    title: 'Thank you for your order – Example Shop',
    type: 'confirmation',
  },
  session: { parameters: { 1: 'returning', 2: 'newsletter' }, loginStatus: 'logged-in' },
  customer: { id: 'c-123456', email: 'jane.doe@example.com', firstName: 'Jane', lastName: 'Doe', city: 'München', country: 'DE', categories: { 1: 'gold', 2: 'b2c' } },
  campaign: { mediaCode: 'wt_mc=newsletter.2026-11.black-friday', parameters: { 1: 'email' } },
  order: { value: 349.85, id: 'ORD-2026-000123', currency: 'EUR', couponValue: 10, tax: 55.86, paymentMethod: 'credit card', shippingService: 'dhl', shippingCosts: 4.95 },
  products: Array.from({ length: 5 }, (_, i) => ({
    id: `SKU-${1000 + i}-Ünïcode Product Name ${i}`,
    cost: Math.round(1999 * (i + 1)) / 100,
    quantity: i + 1,
    categories: { 1: 'Shoes', 2: i % 2 === 0 ? 'Running' : 'Trail' },
    parameters: { 1: `color-${i}`, 2: `size-${40 + i}` },
    variant: i % 2 === 0 ? 'blue' : 'red',
    soldOut: false,
    position: i + 1,
  })),
  currency: 'EUR',
  language: 'de',
};

function lineInput(data, hints) {
  return {
    pageName: data === undefined ? 'www.example.com/products/shoes' : 'www.example.com/checkout/confirmation',
    time: NOW,
    referrer: 'https://www.google.com/',
    eid: '2176420000012345678',
    isNewVisitor: false,
    anonymous: false,
    ip: '203.0.113.7',
    userAgent: BROWSER_UA,
    pageUrl: data === undefined ? 'https://www.example.com/products/shoes?color=blue' : 'https://www.example.com/checkout/confirmation?order=ORD-2026-000123',
    hints,
    data,
  };
}

function context(heavy) {
  const headers = {
    host: 'www.example.com',
    'user-agent': BROWSER_UA,
    accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'accept-language': 'de-DE,de;q=0.9,en;q=0.8',
    referer: 'https://www.google.com/',
    'sec-fetch-dest': 'document',
    'sec-fetch-mode': 'navigate',
  };
  if (heavy) {
    headers['sec-ch-ua'] = HINTS[0][1];
    headers['sec-ch-ua-mobile'] = '?0';
    headers['sec-ch-ua-platform'] = '"Windows"';
  }
  const [name, value] = EID_COOKIE.split('=');
  return {
    method: 'GET',
    url: heavy ? 'https://www.example.com/checkout/confirmation?order=ORD-2026-000123' : 'https://www.example.com/products/shoes?color=blue',
    headers,
    cookies: { [name]: value },
    remoteAddress: '203.0.113.7',
    status: 200,
    contentType: 'text/html; charset=utf-8',
    durationMs: 3.2,
  };
}

let blackhole = 0;

/**
 * Measures several operations in interleaved rounds (A B C D, A B C D, ...), so JIT and GC
 * state drift affects all alike. Each operation gets an iteration count that takes about
 * `targetMs` (calibrated after a warm-up); result: median ns per operation per name.
 */
async function measureInterleaved(ops, targetMs, samples) {
  const iterations = {};
  for (const [name, op] of Object.entries(ops)) {
    for (let i = 0; i < 3000; i++) blackhole += op.async ? await op.fn() : op.fn(); // warm-up (JIT)
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) blackhole += op.async ? await op.fn() : op.fn();
    iterations[name] = Math.max(1000, Math.round((1000 * targetMs) / Math.max(0.001, performance.now() - t0)));
  }
  const ns = Object.fromEntries(Object.keys(ops).map((name) => [name, []]));
  for (let s = 0; s < samples; s++) {
    for (const [name, op] of Object.entries(ops)) {
      const n = iterations[name];
      const fn = op.fn;
      const t0 = process.hrtime.bigint();
      if (op.async) for (let i = 0; i < n; i++) blackhole += await fn();
      else for (let i = 0; i < n; i++) blackhole += fn();
      ns[name].push(Number(process.hrtime.bigint() - t0) / n);
    }
  }
  return Object.fromEntries(Object.entries(ns).map(([name, list]) => [name, { nsPerOp: median(list), samples: list, iterations: iterations[name] }]));
}

/** A transport that accepts and forgets: the benchmark measures the core, not I/O. */
function nullTransport() {
  return {
    name: 'null',
    send: async () => ({ ok: true, status: 'queued' }),
    flush: async () => {},
    close: async () => {},
  };
}

async function run({ targetMs = 150, samples = 9 }) {
  const out = {};
  for (const kind of ['simple', 'heavy']) {
    const heavy = kind === 'heavy';
    const input = lineInput(heavy ? HEAVY_DATA : undefined, heavy ? HINTS : undefined);
    const sample = buildLine(input);
    if (!sample.ok) throw new Error(`buildLine failed for ${kind}: ${sample.reason}`);
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9', transport: nullTransport, trustProxy: false, logger: { debug() {}, warn() {}, error() {} } });
    const ctx = context(heavy);
    const data = heavy ? HEAVY_DATA : undefined;
    const first = await tracker.trackPageView(ctx, data);
    if (!first.ok) throw new Error(`trackPageView did not track the ${kind} page: ${JSON.stringify(first)}`);
    const m = await measureInterleaved(
      {
        build: { fn: () => buildLine(input).line.length },
        json: { fn: () => JSON.stringify(input).length },
        track: { async: true, fn: async () => ((await tracker.trackPageView(ctx, data)).ok ? 1 : 0) },
        trackJson: { fn: () => JSON.stringify({ ctx, data }).length },
      },
      targetMs,
      samples,
    );
    const build = m.build;
    const json = m.json;
    const track = m.track;
    const trackJson = m.trackJson;
    await tracker.close();
    out[kind] = {
      lineBytes: sample.line.length,
      jsonBytes: JSON.stringify(input).length,
      buildLineNs: build.nsPerOp,
      jsonNs: json.nsPerOp,
      trackPageViewNs: track.nsPerOp,
      trackJsonNs: trackJson.nsPerOp,
      line: sample.line,
    };
  }
  return { ...out, targetMs, samples, blackhole: blackhole > 0 };
}

serveParent({ run });
