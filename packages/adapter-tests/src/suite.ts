import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector, type StoredHit } from '@mapp-s2s/collector';
import { BROWSER_UA, PAGE_HEADERS, request, setCookieValue, type RequestOptions, type ShopResponse } from './browser.js';
import { rawRequest } from './raw-request.js';
import { hitsAfter, lastHitId, waitForHit } from './hits.js';
import type { AdapterSuiteOptions, RunningShop } from './types.js';

/** The track id every shop under test is started with. */
export const SUITE_TRACK_ID = '123451234512345';
const OTHER_TRACK_ID = '999999999999999';
const EID_A = '8170000000000000001';
const EID_B = '2170000000000000002';
const EID_C = '4170000000000000003';

let markerCount = 0;
function nextMarker(): string {
  markerCount += 1;
  return `m${process.pid}x${markerCount}x${Math.random().toString(36).slice(2, 8)}`;
}

function withQuery(path: string, name: string, value: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}${name}=${value}`;
}

/**
 * Registers the conformance suite for one adapter: a real collector, the adapter's example
 * shop over real HTTP (Node's `fetch`), and assertions on the stored hits. Call it at the top
 * level of a jest test file.
 */
export function defineAdapterSuite(options: AdapterSuiteOptions): void {
  const timeoutMs = options.hitTimeoutMs ?? 5000;

  describe(`${options.name} conformance`, () => {
    let collector: Collector;
    let shop: RunningShop; // trustProxy: 'loopback'
    let untrustingShop: RunningShop; // trustProxy: false
    let host: string;

    beforeAll(async () => {
      collector = await startCollector();
      const env = { trackId: SUITE_TRACK_ID, trackDomain: collector.url, transport: 'direct' as const };
      shop = await options.startShop({ ...env, trustProxy: 'loopback' });
      untrustingShop = await options.startShop({ ...env, trustProxy: false });
      host = new URL(shop.url).host.toLowerCase();
    });

    afterAll(async () => {
      await Promise.all([shop?.close(), untrustingShop?.close()]);
      await collector?.close();
    });

    /** Opens a page (made unique by a marker query parameter) and waits for its hit. */
    async function openPage(path: string, requestOptions: RequestOptions = {}, target: RunningShop = shop): Promise<{ response: ShopResponse; hit: StoredHit; url: string }> {
      const marker = nextMarker();
      const markedPath = withQuery(path, 'mk', marker);
      const response = await request(target.url, markedPath, requestOptions);
      const hit = await waitForHit(collector, (candidate) => (candidate.params['pu'] ?? '').includes(`mk=${marker}`), timeoutMs, `GET ${markedPath}`);
      return { response, hit, url: target.url + markedPath };
    }

    /**
     * Proves that a request sends nothing: after it, a marker page is opened on the same shop
     * and once the marker's hit has arrived, it must be the only hit since the request.
     */
    async function expectNoHit(path: string, requestOptions: RequestOptions = {}, target: RunningShop = shop): Promise<ShopResponse> {
      const before = lastHitId(collector);
      const response = await request(target.url, path, requestOptions);
      const marker = await openPage('/', {}, target);
      expect(hitsAfter(collector, before).map((hit) => hit.raw)).toEqual([marker.hit.raw]);
      return response;
    }

    describe('page views', () => {
      it('sends the home page with the protocol fields of an S2S page view', async () => {
        const before = Date.now();
        const { response, hit, url } = await openPage('/', { headers: { referer: 'https://www.google.com/search?q=shop' } });
        expect(response.status).toBe(200);
        expect(response.contentType).toMatch(/^text\/html/);
        expect(hit.problems).toEqual([]);
        expect(hit.type).toBe('page');
        expect(hit.trackId).toBe(SUITE_TRACK_ID);
        expect(hit.raw).toMatch(/^wt\?p=600,[^&]*,,,,,\d{13},[^&,]*,,(&|$)/);
        expect(hit.p).toHaveLength(10);
        expect(hit.p[0]).toBe('600');
        expect(hit.p[1]).toBe(`${host}/`);
        expect(hit.p.slice(2, 6)).toEqual(['', '', '', '']);
        expect(Number(hit.p[6])).toBeGreaterThanOrEqual(before);
        expect(Number(hit.p[6])).toBeLessThanOrEqual(Date.now());
        expect(hit.p[7]).toBe('https://www.google.com/search?q=shop');
        expect(hit.p.slice(8)).toEqual(['', '']);
        expect(hit.params['X-WT-IP']).toBe('127.0.0.1');
        expect(hit.params['X-WT-UA']).toBe(BROWSER_UA);
        expect(hit.params['X-WT-RQ']).toBe(url);
        expect(hit.params['pu']).toBe(url);
        expect(hit.params['eid']).toMatch(/^8\d{18}$/);
        expect(hit.params['one']).toBe('1');
        expect(hit.params['nc']).toBeUndefined();
        expect(setCookieValue(response.setCookies, 'wtstp_eid')).toBe(hit.params['eid']);
      });

      it.each([
        ['no referrer', undefined, '0'],
        ['a referrer on the own host', 'own', '1'],
        ['an external referrer', 'https://news.example.org/article?id=7', 'https://news.example.org/article?id=7'],
      ])('sends referrer field 8 for %s', async (_label, referer, expected) => {
        const header = referer === 'own' ? `${shop.url}/cart` : referer;
        const { hit } = await openPage('/', { headers: { referer: header } });
        expect(hit.p[7]).toBe(expected);
      });

      it('sends the product page with the product and status view', async () => {
        const { response, hit } = await openPage('/products/sku-3');
        expect(response.status).toBe(200);
        expect(hit.problems).toEqual([]);
        expect(hit.p[1]).toBe(`${host}/products/sku-3`);
        expect(hit.params['ba']).toBe('sku-3');
        expect(hit.params['st']).toBe('view');
      });

      it('sends the cart page', async () => {
        const { response, hit } = await openPage('/cart');
        expect(response.status).toBe(200);
        expect(hit.p[1]).toBe(`${host}/cart`);
        expect(hit.params['st']).toBeUndefined();
      });

      it('sends UTF-8 paths decoded in the page name and encoded once on the wire', async () => {
        const { response, hit, url } = await openPage('/products/%C3%84pfel-gr%C3%BCn');
        expect(response.status).toBe(200);
        expect(hit.problems).toEqual([]);
        expect(hit.p[1]).toBe(`${host}/products/äpfel-grün`);
        expect(hit.params['ba']).toBe('Äpfel-grün');
        expect(hit.params['pu']).toBe(url);
        expect(hit.raw).toMatch(/^[\x21-\x7e]+$/);
        expect(hit.raw).toContain('%C3%A4pfel-gr%C3%BCn');
      });

      /**
       * The order may ride on the confirmation's page view (Express, Koa) or on a backend event
       * of the same visitor (adapters that cannot see the page's data): the suite finds the
       * hit by its unique order id and checks that it carries the visitor's eid.
       */
      async function openOrder(orderId: string): Promise<{ response: ShopResponse; hit: StoredHit }> {
        const response = await request(shop.url, `/checkout/confirmation?order=${encodeURIComponent(orderId)}`);
        const hit = await waitForHit(collector, (candidate) => candidate.params['oi'] === orderId, timeoutMs, `order ${orderId}`);
        return { response, hit };
      }

      it('sends an order confirmation with order value, id, currency and aligned products in status conf', async () => {
        const orderId = `A-${nextMarker()}`;
        const { response, hit } = await openOrder(orderId);
        expect(response.status).toBe(200);
        expect(hit.problems).toEqual([]);
        expect(hit.type).toBe('order');
        expect(hit.params['eid']).toBe(setCookieValue(response.setCookies, 'wtstp_eid'));
        expect(hit.params['cr']).toMatch(/^[A-Z]{3}$/);
        expect(hit.params['st']).toBe('conf');
        const ids = (hit.params['ba'] ?? '').split(';');
        const costs = (hit.params['co'] ?? '').split(';');
        const quantities = (hit.params['qn'] ?? '').split(';');
        expect(ids.length).toBeGreaterThanOrEqual(2);
        expect(costs).toHaveLength(ids.length);
        expect(quantities).toHaveLength(ids.length);
        for (const quantity of quantities) expect(quantity).toMatch(/^[1-9]\d*$/);
        const total = costs.reduce((sum, cost) => sum + Number(cost), 0);
        expect(Number(hit.params['ov'])).toBeCloseTo(total, 2);
      });

      it.each(['HEAD', 'POST'])('sends no order for a %s of the confirmation page (no page view: GET only)', async (method) => {
        const orderId = `A-${method}-${nextMarker()}`;
        const before = lastHitId(collector);
        await request(shop.url, `/checkout/confirmation?order=${encodeURIComponent(orderId)}`, { method });
        // Once a later page's hit is in, an order hit of the request would be too (direct transport, in order).
        const marker = await openPage('/');
        expect(hitsAfter(collector, before).map((hit) => hit.raw)).toEqual([marker.hit.raw]);
      });

      it('keeps an order id that looks like parameters inside its own value', async () => {
        const orderId = `A&eid=1&ov=0&${nextMarker()}`;
        const { response, hit } = await openOrder(orderId);
        expect(hit.params['oi']).toBe(orderId);
        expect(hit.params['eid']).toBe(setCookieValue(response.setCookies, 'wtstp_eid'));
        expect(Number(hit.params['ov'])).toBeGreaterThan(0);
        expect(hit.raw).not.toContain('&eid=1&');
      });
    });

    describe('visitor cookie', () => {
      it('mints the visitor cookie once and then reuses it', async () => {
        const first = await openPage('/');
        const eid = setCookieValue(first.response.setCookies, 'wtstp_eid');
        expect(eid).toMatch(/^8\d{18}$/);
        expect(first.hit.params['eid']).toBe(eid);
        expect(first.hit.params['one']).toBe('1');
        const cookie = first.response.setCookies.find((value) => value.startsWith('wtstp_eid='));
        expect(cookie).toMatch(/;\s*Path=\//i);
        expect(cookie).toMatch(/;\s*Max-Age=15552000/i);

        const second = await openPage('/cart', { cookies: { wtstp_eid: eid ?? '' } });
        expect(setCookieValue(second.response.setCookies, 'wtstp_eid')).toBeUndefined();
        expect(second.hit.params['eid']).toBe(eid);
        expect(second.hit.params['one']).toBeUndefined();
      });

      it.each([
        ['wtstp_eid before wteid_<trackId> and wt3_eid', { wtstp_eid: EID_A, [`wteid_${SUITE_TRACK_ID}`]: EID_B, wt3_eid: `;${SUITE_TRACK_ID}|${EID_C}#1` }, EID_A],
        ['wteid_<trackId> before wt3_eid', { [`wteid_${SUITE_TRACK_ID}`]: EID_B, wt3_eid: `;${SUITE_TRACK_ID}|${EID_C}#1` }, EID_B],
        ['our segment of a URL-encoded wt3_eid', { wt3_eid: encodeURIComponent(`;${OTHER_TRACK_ID}|${EID_A}#2;${SUITE_TRACK_ID}|${EID_C}#3`) }, EID_C],
        ['a valid cookie over an invalid one before it', { wtstp_eid: 'not-an-eid', [`wteid_${SUITE_TRACK_ID}`]: EID_B }, EID_B],
      ])('reads the visitor from %s', async (_label, cookies, expected) => {
        const { response, hit } = await openPage('/', { cookies });
        expect(hit.params['eid']).toBe(expected);
        expect(hit.params['one']).toBeUndefined();
        expect(setCookieValue(response.setCookies, 'wtstp_eid')).toBeUndefined();
      });

      it.each([
        ['only another track id in wt3_eid', { wt3_eid: `;${OTHER_TRACK_ID}|${EID_A}#2` }],
        ['a malformed wtstp_eid', { wtstp_eid: '81700000000000000019' }],
      ])('mints a new visitor for %s', async (_label, cookies) => {
        const { response, hit } = await openPage('/', { cookies });
        expect(hit.params['eid']).toMatch(/^8\d{18}$/);
        expect(hit.params['eid']).not.toBe(EID_A);
        expect(hit.params['one']).toBe('1');
        expect(setCookieValue(response.setCookies, 'wtstp_eid')).toBe(hit.params['eid']);
      });
    });

    describe('client IP', () => {
      it('takes the client from X-Forwarded-For when the proxy is trusted', async () => {
        const { hit } = await openPage('/', { headers: { 'x-forwarded-for': '198.51.100.23, 203.0.113.7' } });
        expect(hit.params['X-WT-IP']).toBe('203.0.113.7');
      });

      it('ignores X-Forwarded-For from an untrusted peer', async () => {
        const { hit } = await openPage('/', { headers: { 'x-forwarded-for': '203.0.113.7' } }, untrustingShop);
        expect(hit.params['X-WT-IP']).toBe('127.0.0.1');
      });

      it('takes the scheme from X-Forwarded-Proto only from a trusted proxy', async () => {
        const trusted = await openPage('/', { headers: { 'x-forwarded-proto': 'https' } });
        expect(trusted.hit.params['pu']).toMatch(/^https:\/\//);
        const untrusted = await openPage('/', { headers: { 'x-forwarded-proto': 'https' } }, untrustingShop);
        expect(untrusted.hit.params['pu']).toMatch(/^http:\/\//);
      });
    });

    describe('absolute-form request targets', () => {
      // `GET https://evil.example:8443/ HTTP/1.1`: its scheme and host are the client's. HAProxy relays
      // such a target unchanged, so not even a trusted proxy's may set them (docs/protocol.md §5).
      it.each([
        ['from an untrusted peer', () => untrustingShop],
        ['from a trusted proxy', () => shop],
      ] as const)('takes only the path of an absolute-form target %s: the page URL keeps the Host header and plain http', async (_label, target) => {
        const marker = nextMarker();
        const before = lastHitId(collector);
        const answer = await rawRequest(target().url, 'GET', `https://evil.example:8443/?mk=${marker}`, PAGE_HEADERS);
        if (answer.status >= 300 && answer.status < 400) {
          // Next.js redirects such a target (308) instead of serving it: no page, so no hit at all.
          const page = await openPage('/', {}, target());
          expect(hitsAfter(collector, before).map((hit) => hit.raw)).toEqual([page.hit.raw]);
          return;
        }
        expect(answer.status).toBe(200);
        const hit = await waitForHit(collector, (candidate) => (candidate.params['pu'] ?? '').includes(`mk=${marker}`), timeoutMs, `absolute-form ${marker}`);
        expect(hit.params['pu']).toBe(`http://${new URL(target().url).host}/?mk=${marker}`);
        // The visitor cookie of a plain-HTTP page carries no Secure flag.
        expect(String(answer.headers['set-cookie'] ?? '')).not.toMatch(/;\s*secure/i);
      });
    });

    describe('a forged or missing Host never becomes the page', () => {
      // Pasted into the URL, `a.example/%2e%2e/admin?x=` would make `/cart` the page `a.example/admin`.
      it.each([['a path and query', 'a.example/%2e%2e/admin?x='], ['a fragment', 'b.example#'], ['userinfo', 'user@evil.example']])(
        'a Host holding %s: no page view (the framework may also refuse the request)',
        async (_label, forged) => {
          const before = lastHitId(collector);
          const answer = await rawRequest(shop.url, 'GET', '/cart', { ...PAGE_HEADERS, host: forged });
          expect(answer.status).toBeLessThan(500);
          const page = await openPage('/');
          expect(hitsAfter(collector, before).map((hit) => hit.raw)).toEqual([page.hit.raw]);
        },
      );
    });

    describe('requests that are no page view send nothing', () => {
      it.each<[string, string, RequestOptions, number]>([
        ['a bot', '/', { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' } }, 200],
        ['a prefetch (Sec-Purpose)', '/products/sku-1', { headers: { 'sec-purpose': 'prefetch' } }, 200],
        ['a prefetch (Purpose)', '/products/sku-1', { headers: { purpose: 'prefetch' } }, 200],
        ['a HEAD request', '/', { method: 'HEAD' }, 200],
        ['a static asset', '/static/app.css', { headers: { accept: 'text/css,*/*;q=0.1', 'sec-fetch-dest': 'style', 'sec-fetch-mode': 'no-cors' } }, 200],
        ['a JSON API call', '/api/status', { headers: { accept: 'application/json', 'sec-fetch-dest': 'empty', 'sec-fetch-mode': 'cors' } }, 200],
        ['a 404 page', '/no-such-page', {}, 404],
        ['a route opted out with noTracking()', '/health', {}, 200],
        ['a controller opted out with @NoTracking()', '/admin', {}, 200],
      ])('%s', async (_label, path, requestOptions, status) => {
        const response = await expectNoHit(path, requestOptions);
        expect(response.status).toBe(status);
      });

      it('sets no visitor cookie on a bot, an asset or an opted-out route', async () => {
        const bot = await request(shop.url, '/', { headers: { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' } });
        const asset = await request(shop.url, '/static/app.css');
        const health = await request(shop.url, '/health');
        const admin = await request(shop.url, '/admin');
        for (const response of [bot, asset, health, admin]) expect(setCookieValue(response.setCookies, 'wtstp_eid')).toBeUndefined();
      });
    });

    describe('privacy', () => {
      it('sends nothing and sets no cookie when the opt-out cookie is present', async () => {
        const response = await expectNoHit('/', { cookies: { webtrekkOptOut: '1' } });
        expect(response.status).toBe(200);
        expect(setCookieValue(response.setCookies, 'wtstp_eid')).toBeUndefined();
      });

      it('tracks anonymously (nc=1, no eid, no cookie) with the anonymous-mode cookie', async () => {
        const { response, hit } = await openPage('/', { cookies: { miCookieOptOut: '1', wtstp_eid: EID_A } });
        expect(hit.params['nc']).toBe('1');
        expect(hit.params['eid']).toBeUndefined();
        expect(hit.raw).not.toContain(EID_A);
        expect(setCookieValue(response.setCookies, 'wtstp_eid')).toBeUndefined();
      });

      it('tracks anonymously (nc=1, no eid, no cookie) with Sec-GPC: 1', async () => {
        const { response, hit } = await openPage('/', { headers: { 'sec-gpc': '1' } });
        expect(hit.params['nc']).toBe('1');
        expect(hit.params['eid']).toBeUndefined();
        expect(hit.params['one']).toBeUndefined();
        expect(setCookieValue(response.setCookies, 'wtstp_eid')).toBeUndefined();
      });
    });
  });
}
