import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { request, setCookieValue, waitForHit } from '@mapp-s2s/adapter-tests';
import { createShop } from '../../../examples/koa/src/app.js';
import { parseTrustProxy, readSettings } from '../../../examples/koa/src/settings.js';
import { listen } from './support.js';

describe('examples/koa beyond the shared suite', () => {
  let collector: Collector;
  let shop: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    collector = await startCollector();
    const { app, tracker } = createShop({ trackId: '123451234512345', trackDomain: collector.url, transport: 'direct', trustProxy: 'loopback' });
    const server = await listen(app.callback());
    shop = { url: server.url, close: async () => (await server.close(), await tracker.close({ timeout: 2000 })) };
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

  it('adds a product to the cart with status add', async () => {
    const { setCookies } = await request(shop.url, '/cart?add=sku-3');
    const eid = setCookieValue(setCookies, 'wtstp_eid');
    const hit = await waitForHit(collector, (candidate) => candidate.params['eid'] === eid, 5000, 'cart add');
    expect(hit.params['ba']).toBe('sku-3');
    expect(hit.params['st']).toBe('add');
  });
});

describe('examples/koa settings', () => {
  const env = { MAPP_TRACK_ID: '123451234512345', MAPP_TRACK_DOMAIN: 'http://127.0.0.1:9700' };

  it('names the missing variables', () => {
    expect(() => readSettings({})).toThrow(/^MAPP_TRACK_ID and MAPP_TRACK_DOMAIN must be set/);
    expect(() => readSettings({ MAPP_TRACK_ID: env.MAPP_TRACK_ID })).toThrow(/^MAPP_TRACK_DOMAIN must be set/);
  });

  it('applies the documented defaults', () => {
    expect(readSettings(env)).toEqual({ ...{ trackId: env.MAPP_TRACK_ID, trackDomain: env.MAPP_TRACK_DOMAIN }, port: 3000, transport: 'batch', trustProxy: 'loopback', spoolDir: './.spool', flushInterval: undefined });
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
