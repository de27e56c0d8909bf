import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { PIXEL_TRACK_ID, PIXEL_UA } from './pixel-suite.js';
import { rawRequest } from './raw-request.js';
import type { RunningShop, ShopEnv } from './types.js';

/** How an example shop plugs into `defineExamplePixelSuite()`. */
export interface ExamplePixelSuiteOptions {
  /** The example's folder, e.g. `examples/koa`, shown in the test names. */
  readonly name: string;
  /** Starts the example shop pointed at the collector. */
  startShop(env: ShopEnv): Promise<RunningShop>;
}

/**
 * Registers the tests that an example shop mounts the Smart Pixel pass-through at
 * `/mapp/pixel` and serves the pixel bundle and its demo page. Call it at the top level of a
 * jest test file.
 */
export function defineExamplePixelSuite({ name, startShop }: ExamplePixelSuiteOptions): void {
  describe(`${name} exposes the Smart Pixel pass-through`, () => {
    let collector: Collector;
    let shop: RunningShop;

    beforeAll(async () => {
      collector = await startCollector();
      shop = await startShop({ trackId: PIXEL_TRACK_ID, trackDomain: collector.url, transport: 'direct', trustProxy: 'loopback' });
    });
    afterAll(async () => {
      await shop.close();
      await collector.close();
    });

    const get = (path: string, headers: Record<string, string> = {}) => rawRequest(shop.url, 'GET', path, { 'user-agent': PIXEL_UA, ...headers }, []);

    it('answers pixel hits at /mapp/pixel with the GIF and sends them with the server client information', async () => {
      const answer = await get('/mapp/pixel?p=600,example-pixel,1,1920x1080,24,1,1730181123123,0,1280x720,0&X-WT-IP=6.6.6.6', { 'x-forwarded-for': '198.51.100.7' });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('image/gif');
      expect(answer.body.length).toBe(43);
      const hit = (await collector.waitForHits(1)).find((candidate) => candidate.p[1] === 'example-pixel');
      expect(hit?.params['X-WT-IP']).toBe('198.51.100.7');
      expect(hit?.params['X-WT-UA']).toBe(PIXEL_UA);
    });

    it('answers a pixel URL opened as a page before the page tracking sees it: no visitor cookie, no page view', async () => {
      const before = collector.hits().length;
      const answer = await get('/mapp/pixel?p=600,opened-as-page,1,1920x1080,24,1,1730181123123,0,1280x720,0', {
        accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
        'sec-fetch-dest': 'document',
        'sec-fetch-mode': 'navigate',
      });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('image/gif');
      expect(answer.headers['set-cookie']).toBeUndefined();
      const hits = await collector.waitForHits(before + 1);
      expect(hits.slice(before).map((hit) => hit.p[1])).toEqual(['opened-as-page']);
      expect(hits.slice(before)[0]?.params['eid']).toBeUndefined();
    });

    it('serves the Smart Pixel bundle and the demo page', async () => {
      const script = await get('/static/smart-pixel.js');
      expect(script.status).toBe(200);
      expect(String(script.headers['content-type'])).toContain('javascript');
      expect(script.body.toString()).toContain('sendViaServer');
      const page = await get('/pixel', { accept: 'text/html' });
      expect(page.status).toBe(200);
      expect(page.body.toString()).toContain(`trackId: "${PIXEL_TRACK_ID}"`);
      expect(page.body.toString()).toContain('/static/smart-pixel.js');
    });
  });
}
