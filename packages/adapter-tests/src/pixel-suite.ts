import { describe, expect, it } from '@jest/globals';
import type { PixelProxyEvent, PixelProxyOptions } from '@mapp-s2s/core';
import { rawRequest, type RawAnswer } from './raw-request.js';
import { useCollector } from './use-collector.js';

/** The track id of the pixel suite's shops. */
export const PIXEL_TRACK_ID = '111111111111111';
/** A Chrome user agent, as the Smart Pixel's requests carry. */
export const PIXEL_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
/** A Smart Pixel query as the browser sends it. */
export const PIXEL_QUERY = 'p=600,shop.example.com%2Fhome,1,1920x1080,24,1,1730181123123,0,1280x720,0&la=de&eor=1';

/** An app with the adapter's pixel proxy, started by the adapter for the suite. */
export interface RunningPixelShop {
  /** Base URL without trailing slash, on loopback. */
  url: string;
  /** Stops the server and closes the proxy's tracker. */
  close(): Promise<void>;
}

/** How an adapter plugs into `definePixelProxySuite()`. */
export interface PixelProxySuiteOptions {
  /** Shown in the test names, e.g. `Express 5`. */
  name: string;
  /**
   * Starts an app with, in this order: a middleware setting the cookie `site_session=abc`
   * (path `/`, not HttpOnly), the adapter's pixel proxy made from `options` handling
   * `/mapp/pixel` and below, and routes answering `GET /admin` with `admin` and
   * `GET /mapp/pixelated` with `not the pixel`.
   */
  startShop(options: PixelProxyOptions): Promise<RunningPixelShop>;
}

/**
 * Registers the Smart Pixel pass-through tests every Node adapter runs against a real
 * collector over real HTTP. Call it at the top level of a jest test file.
 */
export function definePixelProxySuite({ name, startShop }: PixelProxySuiteOptions): void {
  describe(`mappPixelProxy on ${name}`, () => {
    const collector = useCollector();

    /** Runs `body` against a fresh shop and always closes it. */
    async function withShop(options: Partial<PixelProxyOptions>, body: (shop: RunningPixelShop, events: PixelProxyEvent[]) => Promise<void>): Promise<void> {
      const events: PixelProxyEvent[] = [];
      const shop = await startShop({ trackId: PIXEL_TRACK_ID, trackDomain: collector().url, transport: 'direct', onPixelEvent: (event) => events.push(event), ...options });
      try {
        await body(shop, events);
      } finally {
        await shop.close();
      }
    }

    const send = (shop: RunningPixelShop, method: string, path: string, headers: Record<string, string> = {}, chunks: Buffer[] = []): Promise<RawAnswer> =>
      rawRequest(shop.url, method, path, { 'user-agent': PIXEL_UA, ...headers }, chunks);

    it('answers the GIF and queues the pixel hit with the client IP and UA', async () => {
      await withShop({ trustProxy: 'loopback' }, async (shop) => {
        const answer = await send(shop, 'GET', `/mapp/pixel?${PIXEL_QUERY}&X-WT-IP=6.6.6.6&X-WT-UA=evil`, {
          'x-forwarded-for': '198.51.100.7',
          referer: 'https://shop.example.com/home',
        });
        expect(answer.status).toBe(200);
        expect(answer.headers['content-type']).toBe('image/gif');
        expect(answer.headers['content-length']).toBe('43');
        expect(answer.headers['x-content-type-options']).toBe('nosniff');
        expect(answer.headers['content-security-policy']).toBe("default-src 'none'");
        expect(answer.body.length).toBe(43);
        // Cookies set by earlier middleware survive (Koa's cookie library writes `path` in lower case).
        expect([answer.headers['set-cookie'] ?? []].flat().map((cookie) => cookie.toLowerCase())).toEqual(['site_session=abc; path=/']);
        const [hit] = await collector().waitForHits(1);
        expect(hit?.params['X-WT-IP']).toBe('198.51.100.7');
        expect(hit?.params['X-WT-UA']).toBe(PIXEL_UA);
        expect(hit?.params['X-WT-RQ']).toBe('https://shop.example.com/home');
        expect(hit?.raw).not.toMatch(/6\.6\.6\.6|evil/);
        expect(hit?.p[3]).toBe('1920x1080');
      });
    });

    it('answers HEAD with the GIF headers and no body', async () => {
      await withShop({}, async (shop) => {
        const answer = await send(shop, 'HEAD', `/mapp/pixel?${PIXEL_QUERY}`);
        expect(answer.status).toBe(200);
        expect(answer.headers['content-length']).toBe('43');
        expect(answer.body.length).toBe(0);
        expect(collector().requestCount()).toBe(0);
      });
    });

    it('forwards in forward mode and answers with its own GIF', async () => {
      await withShop({ mode: 'forward' }, async (shop) => {
        const answer = await send(shop, 'GET', `/mapp/pixel/${PIXEL_TRACK_ID}/wt?${PIXEL_QUERY}`);
        expect(answer.status).toBe(200);
        expect(answer.headers['content-type']).toBe('image/gif');
        expect(answer.headers['x-content-type-options']).toBe('nosniff');
        expect(answer.body.length).toBe(43);
        expect(collector().hits()[0]?.params['X-WT-IP']).toBe('127.0.0.1');
      });
    });

    it('forwards a 10 KB hit in forward mode as one GET, unchanged but for the server’s X-WT values', async () => {
      await withShop({ mode: 'forward' }, async (shop) => {
        const parameters = Array.from({ length: 40 }, (_, index) => `cp${index + 1}=${encodeURIComponent(`Größe ${index}, ${'Wanderschuh '.repeat(20)}`)}`).join('&');
        const query = `${PIXEL_QUERY.replace(/&eor=1$/, '')}&${parameters}&eor=1`;
        expect(query.length).toBeGreaterThan(10 * 1024);
        const answer = await send(shop, 'GET', `/mapp/pixel?${query}`);
        expect(answer.status).toBe(200);
        expect(collector().requestCount()).toBe(1);
        const [hit] = collector().hits();
        expect(hit?.via).toBe('wt');
        expect(hit?.raw.split('&').filter((pair) => !pair.startsWith('X-WT-')).join('&')).toBe(`wt?${query}`);
        expect(hit?.params['X-WT-IP']).toBe('127.0.0.1');
      });
    });

    it('reads beacon bodies, streamed in chunks', async () => {
      await withShop({}, async (shop) => {
        const answer = await send(shop, 'POST', `/mapp/pixel/${PIXEL_TRACK_ID}/batch`, { 'content-type': 'text/plain;charset=UTF-8' }, [
          Buffer.from('?p=600,one&ct=a\n'),
          Buffer.from('?p=600,two&ct=b'),
        ]);
        expect(answer.status).toBe(204);
        expect(answer.body.length).toBe(0);
        const hits = await collector().waitForHits(2);
        expect(hits.map((hit) => hit.p[1]).sort()).toEqual(['one', 'two']);
      });
    });

    it('passes every other path on, even one that only starts like the mount', async () => {
      await withShop({}, async (shop, events) => {
        expect((await send(shop, 'GET', '/admin')).body.toString()).toBe('admin');
        expect((await send(shop, 'GET', '/mapp/pixelated')).body.toString()).toBe('not the pixel');
        expect(events).toEqual([]);
      });
    });

    it.each([
      ['dot-dot traversal', 'GET', `/mapp/pixel/../../admin?${PIXEL_QUERY}`, [] as Buffer[], 400],
      ['encoded traversal', 'GET', `/mapp/pixel/%2e%2e/%2e%2e/admin?${PIXEL_QUERY}`, [], 400],
      ['encoded backslashes', 'GET', `/mapp/pixel/..%5c..%5cadmin?${PIXEL_QUERY}`, [], 400],
      ['an unknown track id', 'GET', `/mapp/pixel/999999999999999/wt?${PIXEL_QUERY}`, [], 404],
      ['PUT', 'PUT', `/mapp/pixel/${PIXEL_TRACK_ID}/wt?${PIXEL_QUERY}`, [], 405],
      ['DELETE', 'DELETE', `/mapp/pixel/${PIXEL_TRACK_ID}/wt?${PIXEL_QUERY}`, [], 405],
      ['a chunked body over the cap', 'POST', `/mapp/pixel/${PIXEL_TRACK_ID}/batch`, Array.from({ length: 40 }, () => Buffer.alloc(2048, 'a')), 413],
    ])('refuses %s and sends nothing', async (_name, method, path, chunks, status) => {
      await withShop({}, async (shop, events) => {
        const headers: Record<string, string> = chunks.length > 0 ? { 'content-type': 'text/plain' } : {};
        const answer = await send(shop, method, path, headers, chunks);
        expect(answer.status).toBe(status);
        expect(answer.headers['x-content-type-options']).toBe('nosniff');
        expect(answer.headers['content-security-policy']).toBe("default-src 'none'");
        expect(collector().requestCount()).toBe(0);
        expect(events).toContainEqual(expect.objectContaining({ type: 'rejected', status }));
      });
    });

    it('never takes an absolute-form target for a pixel hit: refused or passed on, nothing sent', async () => {
      await withShop({}, async (shop) => {
        const answer = await send(shop, 'GET', `http://evil.example/mapp/pixel?${PIXEL_QUERY}`);
        expect([400, 404]).toContain(answer.status);
        expect(answer.headers['content-type']).not.toBe('image/gif');
        expect(collector().requestCount()).toBe(0);
      });
    });

    it('answers a query over maxQueryLength with the GIF, reports it and sends nothing', async () => {
      // maxQueryLength lowered: Node itself answers 431 above its 16 KB header limit.
      await withShop({ maxQueryLength: 10_000 }, async (shop, events) => {
        const answer = await send(shop, 'GET', `/mapp/pixel?p=600,x&cp1=${'a'.repeat(12_000)}`);
        expect(answer.status).toBe(200);
        expect(answer.headers['content-type']).toBe('image/gif');
        expect(events).toEqual([{ type: 'skipped', reason: 'too-large', lines: 1 }]);
        expect(collector().requestCount()).toBe(0);
      });
    });

    it('sets the visitor cookie in server-cookie mode, after the site’s own', async () => {
      await withShop({ serverCookie: true }, async (shop) => {
        const answer = await send(shop, 'GET', `/mapp/pixel?${PIXEL_QUERY}`);
        const cookies = [answer.headers['set-cookie'] ?? []].flat();
        expect(cookies[0]?.toLowerCase()).toBe('site_session=abc; path=/');
        expect(cookies[1]).toMatch(/^wtstp_eid=8\d{18}; Max-Age=15552000; Path=\/; SameSite=Lax$/);
        const [hit] = await collector().waitForHits(1);
        expect(`wtstp_eid=${hit?.params['eid'] ?? ''}`).toBe(String(cookies[1]).split(';')[0]);
      });
    });
  });
}
