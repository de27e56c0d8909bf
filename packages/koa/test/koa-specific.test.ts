import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import Koa from 'koa';
import Koa2 from 'koa2';
import Router from '@koa/router';
import supertest from 'supertest';
import { createMemoryTransport, type MemoryTransport } from '@mapp-s2s/core';
import { startCollector, validateLine } from '@mapp-s2s/collector';
import { BROWSER_UA } from '@mapp-s2s/adapter-tests';
import { mappTracking, noTracking, trackEvent, trackPage, type KoaTrackingOptions, type Tracker } from '../src/index.js';
import { listen, recordingLogger } from './support.js';

const TRACK_ID = '123451234512345';
const PAGE = { 'user-agent': BROWSER_UA, accept: 'text/html' };
const versions = [
  ['koa 3', Koa],
  ['koa 2', Koa2],
] as const;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Starts `app` on a loopback port; closed after the test. */
async function serve(app: Koa): Promise<string> {
  const server = await listen(app.callback());
  cleanups.push(() => server.close());
  return server.url;
}

function options(memory: MemoryTransport, extra: KoaTrackingOptions = {}): KoaTrackingOptions {
  return { trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9', trustProxy: false, transport: memory, logger: recordingLogger(), ...extra };
}

const parse = (line: string) => validateLine(line);
const lastSegment = (line: string) => parse(line).p[1]?.replace(/^.*\//, '');
const html = (text: string) => `<!doctype html><title>${text}</title>`;

/** A router answering every `/:page` with a small HTML page, and `/marker`. */
function pages(): Router {
  const router = new Router();
  router.get('/:page', (ctx) => {
    ctx.type = 'html';
    ctx.body = html(String(ctx.params['page']));
  });
  return router;
}

describe.each(versions)('%s', (_name, KoaClass) => {
  it('appends the visitor cookie without overwriting cookies the app sets', async () => {
    const memory = createMemoryTransport();
    const app = new KoaClass();
    app.use((ctx, next) => {
      ctx.append('Set-Cookie', 'early=1; Path=/');
      return next();
    });
    app.use(mappTracking(options(memory)));
    app.use((ctx) => {
      ctx.cookies.set('session', 'abc');
      ctx.append('Set-Cookie', 'late=2');
      ctx.type = 'html';
      ctx.body = html('home');
    });
    const response = await supertest(await serve(app)).get('/').set(PAGE).expect(200);
    const cookies = response.headers['set-cookie'] as unknown as string[];
    expect(cookies.map((cookie) => cookie.split('=')[0])).toEqual(['early', 'wtstp_eid', 'session', 'late']);
    const [hit] = await memory.waitForHits(1);
    expect(cookies[1]).toContain(`wtstp_eid=${parse(hit!.line).params['eid']}`);
  });

  it('passes the app error through untouched and sends no hit for it', async () => {
    const memory = createMemoryTransport();
    const appErrors: unknown[] = [];
    const thrown = Object.assign(new Error('teapot'), { status: 418, expose: true });
    const app = new KoaClass();
    app.silent = true;
    app.on('error', (error) => appErrors.push(error));
    app.use(mappTracking(options(memory)));
    const router = pages();
    router.get('/fails/now', () => {
      throw thrown;
    });
    app.use(router.routes());
    const client = supertest(await serve(app));
    await client.get('/fails/now').set(PAGE).expect(418);
    await client.get('/marker').set(PAGE).expect(200);
    const hits = await memory.waitForHits(1);
    expect(hits.map((hit) => lastSegment(hit.line))).toEqual(['marker']);
    expect(appErrors).toEqual([thrown]);
  });

  it('sends one hit per request when mounted twice, and says so once', async () => {
    const memory = createMemoryTransport();
    const logger = recordingLogger();
    const app = new KoaClass();
    const tracking = mappTracking(options(memory, { logger }));
    app.use(tracking);
    app.use(tracking);
    app.use(mappTracking(options(memory, { logger })));
    app.use(pages().routes());
    const client = supertest(await serve(app));
    await client.get('/first').set(PAGE).expect(200);
    await client.get('/second').set(PAGE).expect(200);
    await client.get('/marker').set(PAGE).expect(200);
    const hits = await memory.waitForHits(3);
    expect(hits.map((hit) => lastSegment(hit.line))).toEqual(['first', 'second', 'marker']);
    expect(logger.warnings.filter((warning) => warning.includes('twice'))).toHaveLength(2);
  });

  it('offers trackPage/trackEvent as functions and on ctx.state.mapp, sharing the visitor', async () => {
    const memory = createMemoryTransport();
    const app = new KoaClass();
    app.use(mappTracking(options(memory)));
    const router = new Router();
    router.get('/signup', async (ctx) => {
      trackPage(ctx, { pageName: 'account/signup', page: { type: 'form' } });
      ctx.state.mapp?.trackPage({ page: { parameters: { 3: 'b' } } });
      const result = await ctx.state.mapp?.trackEvent({ action: { name: 'newsletter-signup', parameters: { 1: 'footer' } } });
      const direct = await trackEvent(ctx, { action: { name: 'second-event' } });
      ctx.type = 'html';
      ctx.body = html(`${String(result?.ok)} ${String(direct.ok)}`);
    });
    app.use(router.routes());
    const response = await supertest(await serve(app)).get('/signup').set(PAGE).expect(200);
    expect(response.text).toContain('true true');
    const hits = (await memory.waitForHits(3)).map((hit) => parse(hit.line));
    const page = hits.find((hit) => hit.params['ct'] === undefined);
    const event = hits.find((hit) => hit.params['ct'] === 'newsletter-signup');
    expect(page?.p[1]).toBe('account/signup');
    expect(page?.params['cp777']).toBe('form');
    expect(page?.params['cp3']).toBe('b');
    expect(event?.params['ck1']).toBe('footer');
    expect(event?.params['eid']).toMatch(/^\d{19}$/);
    expect(event?.params['eid']).toBe(page?.params['eid']);
    expect(hits.find((hit) => hit.params['ct'] === 'second-event')?.params['eid']).toBe(page?.params['eid']);
  });

  it('opts a route out with noTracking() or ctx.state.mapp.noTracking() and takes back a fresh cookie', async () => {
    const memory = createMemoryTransport();
    const app = new KoaClass();
    app.use(mappTracking(options(memory)));
    const router = pages();
    router.get('/health/check', noTracking(), (ctx) => {
      ctx.type = 'html';
      ctx.body = html('ok');
    });
    router.get('/quiet/page', (ctx) => {
      ctx.state.mapp?.noTracking();
      ctx.type = 'html';
      ctx.body = html('quiet');
    });
    app.use(router.routes());
    const client = supertest(await serve(app));
    for (const path of ['/health/check', '/quiet/page']) {
      const response = await client.get(path).set(PAGE).expect(200);
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    await client.get('/marker').set(PAGE).expect(200);
    const hits = await memory.waitForHits(1);
    expect(hits.map((hit) => lastSegment(hit.line))).toEqual(['marker']);
  });

  it('does not even look at requests opted out before the middleware', async () => {
    const memory = createMemoryTransport();
    const consentCalls: string[] = [];
    const app = new KoaClass();
    app.use(noTracking());
    app.use(mappTracking(options(memory, { consent: (ctx) => (consentCalls.push(ctx.url), 'full') })));
    app.use(pages().routes());
    const response = await supertest(await serve(app)).get('/anything').set(PAGE).expect(200);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(consentCalls).toEqual([]);
  });

  it('keeps tracking failures away from Koa error handling and reports them to onError', async () => {
    const failures: string[] = [];
    const appErrors: unknown[] = [];
    const broken: Tracker = {
      begin: () => Promise.reject(new Error('begin exploded')),
      end: () => {
        throw new Error('end exploded');
      },
      trackPageView: () => Promise.reject(new Error('unused')),
      track: () => Promise.reject(new Error('track exploded')),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
      stats: () => {
        throw new Error('unused');
      },
      on: () => () => undefined,
    };
    const app = new KoaClass();
    app.silent = true;
    app.on('error', (error) => appErrors.push(error));
    app.use(mappTracking({ tracker: broken, onError: (error) => failures.push(error.message) }));
    app.use(async (ctx) => {
      trackPage(ctx, { pageName: 'home' });
      const result = await trackEvent(ctx, { action: { name: 'x' } });
      ctx.type = 'html';
      ctx.body = html(String(result.ok));
    });
    const response = await supertest(await serve(app)).get('/').set(PAGE).expect(200);
    expect(response.text).toContain('false');
    expect(appErrors).toEqual([]);
    expect(failures).toEqual(['begin exploded', 'track exploded']);
  });

  it('answers without waiting for the tracker: nothing after await next() awaits the send', async () => {
    const ended: string[] = [];
    const memory = createMemoryTransport();
    const real = mappTracking(options(memory)).tracker;
    const neverSettles: Tracker = {
      ...real,
      end: (context) => {
        ended.push(context.url);
        return new Promise(() => undefined);
      },
    };
    const app = new KoaClass();
    app.use(mappTracking({ tracker: neverSettles }));
    app.use(pages().routes());
    const url = await serve(app);
    const response = await supertest(url).get('/page').set(PAGE).expect(200);
    expect(response.text).toContain('page');
    expect(ended).toEqual([`${url}/page`]);
  });

  it('sends nothing and raises nothing when the client aborts before the answer', async () => {
    const memory = createMemoryTransport();
    const onError: string[] = [];
    const appErrors: unknown[] = [];
    let received!: () => void;
    const requestSeen = new Promise<void>((resolve) => (received = resolve));
    const app = new KoaClass();
    app.silent = true;
    app.on('error', (error) => appErrors.push(error));
    app.use(mappTracking(options(memory, { onError: (error) => onError.push(error.message) })));
    const router = pages();
    router.get('/slow/page', async (ctx) => {
      // Answer only after the client has gone.
      const gone = new Promise<void>((resolve) => ctx.req.socket.once('close', () => resolve()));
      received();
      await gone;
      ctx.type = 'html';
      ctx.body = html('too late');
    });
    app.use(router.routes());
    const url = await serve(app);
    const client = httpRequest(`${url}/slow/page`, { headers: PAGE });
    client.on('error', () => undefined);
    client.end();
    await requestSeen;
    client.destroy();
    await supertest(url).get('/marker').set(PAGE).expect(200);
    const hits = await memory.waitForHits(1);
    expect(hits.map((hit) => lastSegment(hit.line))).toEqual(['marker']);
    expect(onError).toEqual([]);
    expect(appErrors).toEqual([]);
  });

  it('with a synchronous consent, reaches the routes without giving up the event-loop turn', async () => {
    const memory = createMemoryTransport();
    const seen: boolean[] = [];
    const app = new KoaClass();
    app.use((ctx, next) => {
      const flag = { turnPassed: false };
      ctx.state['flag'] = flag;
      setImmediate(() => (flag.turnPassed = true));
      return next();
    });
    app.use(mappTracking(options(memory, { consent: () => 'full' })));
    app.use((ctx) => {
      seen.push((ctx.state['flag'] as { turnPassed: boolean }).turnPassed);
      ctx.type = 'html';
      ctx.body = html('home');
    });
    const response = await supertest(await serve(app)).get('/').set(PAGE).expect(200);
    expect(seen).toEqual([false]);
    expect((response.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^wtstp_eid=\d{19};/);
  });

  it('waits for an asynchronous consent before the routes, so the cookie still goes out', async () => {
    const memory = createMemoryTransport();
    let grant!: (level: 'full') => void;
    const decided = new Promise<'full'>((resolve) => (grant = resolve));
    let asked!: () => void;
    const consentAsked = new Promise<void>((resolve) => (asked = resolve));
    const routeCalls: string[] = [];
    const app = new KoaClass();
    app.use(mappTracking(options(memory, { consent: () => (asked(), decided) })));
    app.use((ctx) => {
      routeCalls.push('route');
      ctx.type = 'html';
      ctx.body = html('home');
    });
    const pending = supertest(await serve(app)).get('/').set(PAGE).then((response) => response);
    await consentAsked;
    expect(routeCalls).toEqual([]);
    grant('full');
    const response = await pending;
    expect(routeCalls).toEqual(['route']);
    expect((response.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^wtstp_eid=\d{19};/);
  });
});

describe('proxy trust warnings', () => {
  const saved = process.env['MAPP_TRUST_PROXY'];
  afterEach(() => {
    if (saved === undefined) delete process.env['MAPP_TRUST_PROXY'];
    else process.env['MAPP_TRUST_PROXY'] = saved;
  });

  it('warns once at startup when trustProxy is not set, naming the option', () => {
    delete process.env['MAPP_TRUST_PROXY'];
    const logger = recordingLogger();
    const { trustProxy: _unset, ...rest } = options(createMemoryTransport(), { logger });
    mappTracking(rest);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain("trustProxy: 'loopback'");
  });

  it('stays quiet when trustProxy is set, even to false', () => {
    const logger = recordingLogger();
    mappTracking(options(createMemoryTransport(), { logger, trustProxy: false }));
    mappTracking(options(createMemoryTransport(), { logger, trustProxy: 'loopback' }));
    expect(logger.warnings).toEqual([]);
  });

  it("points at a forwarded request and at Koa's app.proxy once each when trustProxy is not set", async () => {
    delete process.env['MAPP_TRUST_PROXY'];
    const memory = createMemoryTransport();
    const logger = recordingLogger();
    const { trustProxy: _unset, ...rest } = options(memory, { logger });
    const app = new Koa({ proxy: true });
    app.use(mappTracking(rest));
    app.use(pages().routes());
    const client = supertest(await serve(app));
    await client.get('/home').set(PAGE).set('x-forwarded-for', '203.0.113.7').expect(200);
    await client.get('/home').set(PAGE).set('x-forwarded-for', '203.0.113.8').expect(200);
    const [hit] = await memory.waitForHits(1);
    expect(parse(hit!.line).params['X-WT-IP']).toBe('127.0.0.1');
    expect(logger.warnings).toHaveLength(3);
    expect(logger.warnings[1]).toContain('app.proxy');
    expect(logger.warnings[2]).toContain('X-Forwarded-For');
    for (const warning of logger.warnings) expect(warning).toContain('trustProxy');
  });
});

describe('setup errors', () => {
  it('rejects a shared tracker together with tracker options', () => {
    const tracker = mappTracking(options(createMemoryTransport())).tracker;
    expect(() => mappTracking({ tracker, trackId: TRACK_ID })).toThrow(/either `tracker` or tracker options.*trackId/);
  });

  it('throws at startup for a bad track id, naming the option', () => {
    expect(() => mappTracking({ trackId: '123', trackDomain: 'track.example.com', trustProxy: false })).toThrow(/trackId/);
  });
});

describe('send failures', () => {
  it('reports hits the endpoint rejects (a wrong track id) to onError, without a request, and the page is unaffected', async () => {
    const collector = await startCollector({ trackIds: ['111111111111111'] });
    cleanups.push(() => collector.close());
    const failures: Array<{ message: string; hasRequest: boolean }> = [];
    let reported!: () => void;
    const firstReport = new Promise<void>((resolve) => (reported = resolve));
    const app = new Koa();
    const tracking = mappTracking({
      trackId: TRACK_ID,
      trackDomain: collector.url,
      transport: 'direct',
      trustProxy: false,
      onError: (error, ctx) => {
        failures.push({ message: error.message, hasRequest: ctx !== undefined });
        reported();
      },
    });
    cleanups.push(() => tracking.tracker.close({ timeout: 1000 }));
    app.use(tracking);
    app.use(pages().routes());
    await supertest(await serve(app)).get('/home').set(PAGE).expect(200);
    await firstReport;
    expect(failures).toEqual([{ message: expect.stringMatching(/1 hit dropped \(rejected/), hasRequest: false }]);
    expect(collector.hits()).toEqual([]);
  });
});

describe('without the middleware', () => {
  it('trackPage and trackEvent warn once, name the fix and never throw', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const app = new Koa();
      let result: unknown;
      app.use(async (ctx) => {
        trackPage(ctx, { pageName: 'x' });
        trackPage(ctx, { pageName: 'y' });
        result = await trackEvent(ctx, { action: { name: 'x' } });
        ctx.type = 'html';
        ctx.body = html('home');
      });
      await supertest(await serve(app)).get('/').set(PAGE).expect(200);
      expect(result).toMatchObject({ ok: false, status: 'failed' });
      expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([expect.stringContaining('app.use(mappTracking(')]);
    } finally {
      warn.mockRestore();
    }
  });
});
