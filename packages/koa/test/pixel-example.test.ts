import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createShop } from '../../../examples/koa/src/app.js';
import { listen } from './support.js';

const TRACK_ID = '111111111111111';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

function get(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, headers: { 'user-agent': UA, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the Koa example shop exposes the Smart Pixel pass-through', () => {
  let collector: Collector;
  let shop: ReturnType<typeof createShop>;
  let server: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    collector = await startCollector();
    shop = createShop({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'direct', trustProxy: 'loopback' });
    server = await listen(shop.app.callback());
  });
  afterAll(async () => {
    await server.close();
    await shop.tracker.close();
    await collector.close();
  });

  it('answers pixel hits at /mapp/pixel with the GIF and sends them with the server client information', async () => {
    const answer = await get(server.url, '/mapp/pixel?p=600,koa-pixel,1,1920x1080,24,1,1730181123123,0,1280x720,0&X-WT-IP=6.6.6.6', {
      'x-forwarded-for': '198.51.100.7',
    });
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('image/gif');
    expect(answer.body.length).toBe(43);
    const hit = (await collector.waitForHits(1)).find((candidate) => candidate.p[1] === 'koa-pixel');
    expect(hit?.params['X-WT-IP']).toBe('198.51.100.7');
    expect(hit?.params['X-WT-UA']).toBe(UA);
  });

  it('serves the Smart Pixel bundle and the demo page', async () => {
    const script = await get(server.url, '/static/smart-pixel.js');
    expect(script.status).toBe(200);
    expect(script.type).toContain('javascript');
    expect(script.body).toContain('sendViaServer');
    const page = await get(server.url, '/pixel', { accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.body).toContain(`trackId: "${TRACK_ID}"`);
    expect(page.body).toContain('/static/smart-pixel.js');
  });
});
