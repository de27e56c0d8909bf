import { describe, expect, it } from '@jest/globals';
import { Hono, type Context } from 'hono';
import { createMemoryTransport, type MemoryTransport } from '@mapp-s2s/core';
import { validateLine } from '@mapp-s2s/collector';
import { BROWSER_UA, recordingLogger, useCollector } from '@mapp-s2s/adapter-tests';
import { mappTracking, noTracking, NoTracking, TrackAs, trackEvent, trackPage, type HonoTrackingOptions } from '../src/index.js';

const TRACK_ID = '123451234512345';
const PAGE = { 'user-agent': BROWSER_UA, accept: 'text/html' };
const parse = (line: string) => validateLine(line);
const lastSegment = (line: string) => parse(line).p[1]?.replace(/^.*\//, '');

function options(memory: MemoryTransport, extra: HonoTrackingOptions = {}): HonoTrackingOptions {
  return { trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9', trustProxy: false, transport: memory, logger: recordingLogger(), remoteAddress: () => '192.0.2.10', ...extra };
}

/** A web `Request` as a worker runtime hands it to `app.fetch`. */
const page = (path: string, headers: Record<string, string> = {}) => new Request(`https://shop.example.com${path}`, { headers: { ...PAGE, ...headers } });

/** Fetches `path`, then `/marker`, and returns every hit up to the marker's: proves what `path` sent. */
async function hitsThrough(app: Hono, memory: MemoryTransport, path: string): Promise<string[]> {
  await app.fetch(page(path));
  const before = memory.hits.length;
  await app.fetch(page('/marker'));
  await memory.waitForHits(before + 1);
  return memory.hits.map((hit) => lastSegment(hit.line) ?? '');
}

describe('the Hono middleware through app.fetch with web Requests', () => {
  it('tracks a page with the peer from remoteAddress and adds the cookie, also to a Response the handler built', async () => {
    const memory = createMemoryTransport();
    const app = new Hono();
    app.use(mappTracking(options(memory)));
    app.get('/own', () => new Response('<h1>own</h1>', { headers: { 'content-type': 'text/html', 'set-cookie': 'session=abc' } }));
    const response = await app.fetch(page('/own', { 'x-forwarded-for': '203.0.113.9' }));
    expect(response.status).toBe(200);
    const cookies = response.headers.getSetCookie();
    expect(cookies.map((cookie) => cookie.split('=')[0])).toEqual(['session', 'wtstp_eid']);
    const [hit] = await memory.waitForHits(1);
    const params = parse(hit!.line).params;
    expect(cookies[1]).toContain(`wtstp_eid=${params['eid']}`);
    expect(params['X-WT-IP']).toBe('192.0.2.10'); // trustProxy: false, so the header is ignored
    expect(params['pu']).toBe('https://shop.example.com/own');
  });

  it('opts out with noTracking() on the route or before the middleware: no cookie, no hit', async () => {
    const memory = createMemoryTransport();
    const app = new Hono();
    app.use('/internal/*', noTracking());
    app.use(mappTracking(options(memory)));
    app.get('/health', noTracking(), (c) => c.html('<p>ok</p>'));
    app.get('/internal/report', (c) => c.html('<p>report</p>'));
    app.get('/:page', (c) => c.html(`<p>${c.req.param('page')}</p>`));
    for (const path of ['/health', '/internal/report']) {
      expect((await app.fetch(page(path))).headers.getSetCookie()).toEqual([]);
    }
    expect(await hitsThrough(app, memory, '/health')).toEqual(['marker']);
    memory.clear();
    expect(await hitsThrough(app, memory, '/internal/report')).toEqual(['marker']);
  });

  it("leaves the app's error to Hono's onError and sends no page view for the 500", async () => {
    const memory = createMemoryTransport();
    const app = new Hono();
    app.use(mappTracking(options(memory)));
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.get('/:page', (c) => c.html('<p>page</p>'));
    app.onError((error, c) => c.text(`handled ${error.message}`, 500));
    const response = await app.fetch(page('/boom'));
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('handled boom');
    expect(await hitsThrough(app, memory, '/boom')).toEqual(['marker']);
  });

  it('reads @NoTracking() and @TrackAs() on controllers that receive the context', async () => {
    @TrackAs({ page: { type: 'account' } })
    class AccountController {
      orders(c: Context): Response {
        trackPage(c, { pageName: 'account/orders' });
        return c.html('<p>orders</p>');
      }

      @NoTracking()
      settings(c: Context): Response {
        return c.html('<p>settings</p>');
      }
    }
    const memory = createMemoryTransport();
    const account = new AccountController();
    const app = new Hono();
    app.use(mappTracking(options(memory)));
    app.get('/settings', (c) => account.settings(c));
    app.get('/orders', (c) => account.orders(c));
    expect((await app.fetch(page('/settings'))).headers.getSetCookie()).toEqual([]);
    await app.fetch(page('/orders'));
    const [hit] = await memory.waitForHits(1);
    expect(parse(hit!.line).p[1]).toBe('account/orders');
    expect(parse(hit!.line).params['cp777']).toBe('account');
    expect(memory.hits).toHaveLength(1);
  });

  describe('in a worker (an execution context with waitUntil)', () => {
    const collector = useCollector();

    it('hands the page view and backend events to executionCtx.waitUntil, and they arrive once those settle', async () => {
      const pending: Array<Promise<unknown>> = [];
      const executionCtx = { waitUntil: (promise: Promise<unknown>) => void pending.push(promise), passThroughOnException: () => undefined, props: {} };
      // The default transport of the web entry: one direct GET per hit, as a worker needs.
      const app = new Hono();
      const tracking = mappTracking({ trackId: TRACK_ID, trackDomain: collector().url, trustProxy: false, logger: recordingLogger(), remoteAddress: (c) => c.req.header('cf-connecting-ip') });
      app.use(tracking);
      app.get('/signup', (c) => {
        void trackEvent(c, { action: { name: 'newsletter-signup' } });
        return c.html('<p>thanks</p>');
      });
      const response = await app.fetch(page('/signup', { 'cf-connecting-ip': '198.51.100.4' }), {}, executionCtx);
      expect(response.status).toBe(200);
      expect(pending.length).toBeGreaterThanOrEqual(2);
      await Promise.all(pending);
      const hits = collector().hits();
      expect(hits.map((hit) => hit.params['ct'] ?? 'page').sort()).toEqual(['newsletter-signup', 'page']);
      expect(new Set(hits.map((hit) => hit.params['eid'])).size).toBe(1);
      expect(hits.every((hit) => hit.params['X-WT-IP'] === '198.51.100.4')).toBe(true);
      await tracking.tracker.close();
    });
  });
});
