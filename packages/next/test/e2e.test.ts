import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { defineAdapterSuite, hitsAfter, lastHitId, request, setCookieValue, SUITE_TRACK_ID, waitForHit } from '@mapp-s2s/adapter-tests';
import type { RunningShop } from '@mapp-s2s/adapter-tests';
import { startCollector } from '@mapp-s2s/collector';
import type { Collector } from '@mapp-s2s/collector';
import { startExample, stopAllExamples } from './next-app.js';

// Two `next build`s (about 10-40 s each) run inside the suites' setup hooks.
jest.setTimeout(300000);

// The built example (`next build` + `next start`) against the shared conformance suite, once
// per runtime: proxy.ts on Node.js and the Edge middleware.ts variant (examples/next/.edge).
// The builds run without any MAPP_* variable: the shops get theirs at `next start`, which
// proves the settings are read at request time and not inlined at build time.
defineAdapterSuite({
  name: 'next 16 proxy.ts, Node.js runtime (examples/next)',
  startShop: (env) => startExample('node', env),
});

defineAdapterSuite({
  name: 'next 16 middleware.ts, Edge runtime (examples/next/.edge)',
  startShop: (env) => startExample('edge', env),
});

describe.each(['node', 'edge'] as const)('next-specific behaviour of the built example (%s)', (runtime) => {
  let collector: Collector;
  let shop: RunningShop;

  beforeAll(async () => {
    collector = await startCollector();
    shop = await startExample(runtime, { trackId: SUITE_TRACK_ID, trackDomain: collector.url, trustProxy: false, transport: 'direct' });
  });

  afterAll(async () => {
    await shop?.close();
    await collector?.close();
  });

  it('sends nothing for a client-side navigation (an RSC fetch, whose RSC headers Next hides from middleware)', async () => {
    const before = lastHitId(collector);
    // Next answers a hash it did not compute with a 307 to the right `_rsc` URL; either way the
    // request passed the middleware like a browser's client-side navigation does.
    const navigation = await request(shop.url, '/cart?_rsc=1x2y3', {
      headers: { rsc: '1', 'next-router-state-tree': '%5B%22%22%5D', accept: '*/*', 'sec-fetch-dest': 'empty', 'sec-fetch-mode': 'cors' },
    });
    const marker = `/?mk=rsc-${runtime}-${Date.now()}`;
    await request(shop.url, marker);
    const markerHit = await waitForHit(collector, (hit) => (hit.params['pu'] ?? '').endsWith(marker), 5000, marker);

    expect([200, 307]).toContain(navigation.status);
    expect(hitsAfter(collector, before).map((hit) => hit.raw)).toEqual([markerHit.raw]);
  });

  it('sends a backend event from a route handler (POST /newsletter) for the visitor of the cookie', async () => {
    const page = await request(shop.url, '/');
    const eid = setCookieValue(page.setCookies, 'wtstp_eid') ?? '';
    const response = await request(shop.url, '/newsletter', { method: 'POST', cookies: { wtstp_eid: eid } });
    const event = await waitForHit(collector, (hit) => hit.params['ct'] === 'newsletter_signup' && hit.params['eid'] === eid, 5000, 'newsletter_signup');

    expect(eid).toMatch(/^8\d{18}$/);
    expect(response.status).toBe(303);
    expect(event.type).toBe('event');
    expect(event.params['ck1']).toBe('home');
  });

  it('answers 400 to a product id with a malformed escape and sends no page view for it', async () => {
    const before = lastHitId(collector);
    // The shop's middleware answers them (Next itself would answer 500: vercel/next.js#94278).
    const answers = await Promise.all(['/products/%', '/products/%E0%A4%A', '/cart/%zz'].map((path) => request(shop.url, path)));
    const marker = `/?mk=bad-escape-${runtime}-${Date.now()}`;
    await request(shop.url, marker);
    const markerHit = await waitForHit(collector, (hit) => (hit.params['pu'] ?? '').endsWith(marker), 5000, marker);

    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400]);
    expect(hitsAfter(collector, before).map((hit) => hit.raw)).toEqual([markerHit.raw]);
  });

  it('answers product ids outside the catalogue (__proto__, constructor...) with a 404 page, no stack trace and no page view', async () => {
    const before = lastHitId(collector);
    const paths = ['/products/__proto__', '/products/constructor', '/products/toString', '/products/sku-999'];
    const answers = await Promise.all(paths.map((path) => request(shop.url, path)));
    const cart = await request(shop.url, '/cart?add=__proto__');
    const marker = `/?mk=unknown-product-${runtime}-${Date.now()}`;
    await request(shop.url, marker);
    const markerHit = await waitForHit(collector, (hit) => (hit.params['pu'] ?? '').endsWith(marker), 5000, marker);

    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 404]);
    for (const answer of answers) expect(answer.body).not.toMatch(/\bat \S+ \(|node_modules|TypeError/);
    expect(cart.status).toBe(200);
    expect(cart.body).not.toContain('Added');
    // The cart is a page view, without an added product; the unknown products are none.
    const cartHit = await waitForHit(collector, (hit) => (hit.params['pu'] ?? '').endsWith('/cart?add=__proto__'), 5000, 'cart');
    expect(cartHit.params['ba']).toBeUndefined();
    expect(hitsAfter(collector, before).map((hit) => hit.raw).sort()).toEqual([cartHit.raw, markerHit.raw].sort());
  });

  it('passes a well-formed Smart Pixel hit through /mapp/pixel with the socket peer as client IP', async () => {
    const name = `probe-${runtime}`;
    const response = await request(shop.url, `/mapp/pixel?p=600,${name},1,1920x1080,24,1,1730181123123,0,1280x720,0&pu=x`, {
      headers: { accept: 'image/avif,image/webp,*/*', 'sec-fetch-dest': 'image', 'sec-fetch-mode': 'no-cors', 'x-forwarded-for': '6.6.6.6' },
    });
    const hit = await waitForHit(collector, (candidate) => candidate.p[1] === name, 5000, name);

    expect(response.status).toBe(200);
    expect(response.contentType).toBe('image/gif');
    expect(hit.raw.startsWith(`wt?p=600,${name},1,1920x1080,24,1,1730181123123,0,1280x720,0&pu=x&`)).toBe(true);
    // No proxy is trusted: the client's own X-Forwarded-For must not choose the IP.
    expect(hit.params['X-WT-IP']).toBe('127.0.0.1');
    expect(hit.params['X-WT-UA']).toMatch(/Chrome\//);
  });

  it('tracks /cart?add=ID as an add of that product', async () => {
    await request(shop.url, `/cart?add=sku-3&mk=${runtime}`);
    const hit = await waitForHit(collector, (candidate) => (candidate.params['pu'] ?? '').endsWith(`/cart?add=sku-3&mk=${runtime}`), 5000, 'cart add');

    expect([hit.params['ba'], hit.params['co'], hit.params['st']]).toEqual(['sku-3', '129', 'add']);
  });
});

// A shop whose start outlived a failed setup hook is never handed to a suite: stop it here.
afterAll(() => stopAllExamples());
