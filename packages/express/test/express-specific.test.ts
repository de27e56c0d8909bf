import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import express from 'express';
import express4 from 'express4';
import supertest from 'supertest';
import { createMemoryTransport, type MemoryTransport } from '@mapp-s2s/core';
import { startCollector, validateLine } from '@mapp-s2s/collector';
import { BROWSER_UA } from '@mapp-s2s/adapter-tests';
import { mappTracking, noTracking, trackEvent, trackPage, type ExpressTrackingOptions, type Tracker } from '../src/index.js';
import { listen, recordingLogger } from './support.js';

const TRACK_ID = '123451234512345';
const PAGE = { 'user-agent': BROWSER_UA, accept: 'text/html' };
const versions = [
  ['express 5', express],
  ['express 4', express4],
] as const;

type App = ReturnType<typeof express>;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Starts `app` on a loopback port; closed after the test. */
async function serve(app: App): Promise<string> {
  const server = await listen(app);
  cleanups.push(() => server.close());
  return server.url;
}

function options(memory: MemoryTransport, extra: ExpressTrackingOptions = {}): ExpressTrackingOptions {
  return { trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9', trustProxy: false, transport: memory, logger: recordingLogger(), ...extra };
}

const parse = (line: string) => validateLine(line);
const html = (text: string) => `<!doctype html><title>${text}</title>`;

describe.each(versions)('%s', (_name, framework) => {
  it('appends the visitor cookie without overwriting cookies the app sets', async () => {
    const memory = createMemoryTransport();
    const app = framework();
    app.use((_req, res, next) => {
      res.append('Set-Cookie', 'early=1; Path=/');
      next();
    });
    app.use(mappTracking(options(memory)));
    app.get('/', (_req, res) => {
      res.cookie('session', 'abc');
      res.append('Set-Cookie', 'late=2');
      res.type('html').send(html('home'));
    });
    const response = await supertest(await serve(app)).get('/').set(PAGE);
    const cookies = response.headers['set-cookie'] as unknown as string[];
    expect(cookies.map((cookie) => cookie.split('=')[0])).toEqual(['early', 'wtstp_eid', 'session', 'late']);
    const [hit] = await memory.waitForHits(1);
    expect(cookies[1]).toContain(`wtstp_eid=${parse(hit!.line).params['eid']}`);
  });

  it('still sends the page view when a route replaces res.locals (where the request state is kept)', async () => {
    const memory = createMemoryTransport();
    const app = framework();
    app.use(mappTracking(options(memory)));
    app.get('/', (_req, res) => {
      res.locals = { title: 'replaced' };
      res.type('html').send(html('home'));
    });
    await supertest(await serve(app)).get('/?replaced=1').set(PAGE).expect(200);
    const [hit] = await memory.waitForHits(1);
    expect(parse(hit!.line).params['pu']).toContain('replaced=1');
  });

  it('still honours noTracking() after a route replaced res.locals (where the request state is kept)', async () => {
    const memory = createMemoryTransport();
    const app = framework();
    app.use(mappTracking(options(memory)));
    const replaceLocals: express.RequestHandler = (_req, res, next) => {
      res.locals = { title: 'replaced' };
      next();
    };
    app.get('/private', replaceLocals, noTracking(), (_req, res) => {
      res.type('html').send(html('private'));
    });
    app.get('/public', replaceLocals, (_req, res) => {
      res.type('html').send(html('public'));
    });
    const client = supertest(await serve(app));
    await client.get('/private').set(PAGE).expect(200);
    await client.get('/public').set(PAGE).expect(200);
    const hits = await memory.waitForHits(1);
    expect(hits.map((hit) => parse(hit.line).params['pu'])).toEqual([expect.stringContaining('/public')]);
  });

  it('counts a noTracking() route as skipped `route` and says so with debug', async () => {
    const memory = createMemoryTransport();
    const debugs: string[] = [];
    const logger = { ...recordingLogger(), debug: (message: string) => void debugs.push(message) };
    const app = framework();
    const tracking = mappTracking(options(memory, { debug: true, logger }));
    app.use(tracking);
    app.get('/health', noTracking(), (_req, res) => {
      res.type('html').send(html('ok'));
    });
    const url = await serve(app);
    await supertest(url).get('/health').set(PAGE).expect(200);
    // The request is settled when its response closes, just after the client has the answer.
    const deadline = Date.now() + 5000;
    while (tracking.tracker.stats().skipped.route !== 1 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(tracking.tracker.stats().skipped).toEqual({ route: 1 });
    expect(debugs).toContain(`mapp-s2s: not tracked (route: noTracking() or @NoTracking() on this route): GET ${url}/health`);
    expect(memory.lines).toEqual([]);
  });

  it('records the status and content type after the response finishes', async () => {
    const memory = createMemoryTransport();
    const app = framework();
    app.use(mappTracking(options(memory)));
    app.get('/broken', (_req, res) => {
      res.status(500).type('html').send(html('error'));
    });
    app.get('/text', (_req, res) => {
      res.type('text').send('plain');
    });
    app.get('/page', (_req, res) => {
      res.type('html').send(html('page'));
    });
    const client = supertest(await serve(app));
    await client.get('/broken').set(PAGE).expect(500);
    await client.get('/text').set(PAGE).expect(200);
    await client.get('/page').set(PAGE).expect(200);
    const hits = await memory.waitForHits(1);
    expect(hits.map((hit) => parse(hit.line).p[1])).toEqual([expect.stringMatching(/\/page$/)]);
  });

  it('sends one hit per request when mounted twice, and says so once', async () => {
    const memory = createMemoryTransport();
    const logger = recordingLogger();
    const app = framework();
    const tracking = mappTracking(options(memory, { logger }));
    app.use(tracking);
    app.use(tracking);
    app.use(mappTracking(options(memory, { logger })));
    app.get('/:page', (_req, res) => {
      res.type('html').send(html('page'));
    });
    const client = supertest(await serve(app));
    await client.get('/first').set(PAGE).expect(200);
    await client.get('/second').set(PAGE).expect(200);
    await client.get('/marker').set(PAGE).expect(200);
    const hits = await memory.waitForHits(3);
    expect(hits.map((hit) => parse(hit.line).p[1]?.replace(/^.*\//, ''))).toEqual(['first', 'second', 'marker']);
    expect(logger.warnings.filter((warning) => warning.includes('twice'))).toHaveLength(2);
  });

  it('takes the page URL from originalUrl when mounted under a path', async () => {
    const memory = createMemoryTransport();
    const app = framework();
    const shop = framework.Router();
    shop.use(mappTracking(options(memory)));
    shop.get('/item', (_req, res) => {
      res.type('html').send(html('item'));
    });
    app.use('/shop', shop);
    const url = await serve(app);
    await supertest(url).get('/shop/item?x=1').set(PAGE).expect(200);
    const [hit] = await memory.waitForHits(1);
    expect(parse(hit!.line).params['pu']).toBe(`${url}/shop/item?x=1`);
  });

  it('merges trackPage data and sends trackEvent with the same visitor', async () => {
    const memory = createMemoryTransport();
    const app = framework();
    app.use(mappTracking(options(memory)));
    app.get('/signup', (req, res) => {
      trackPage(req, { pageName: 'account/signup', page: { type: 'form' } });
      trackPage(req, { page: { parameters: { 3: 'b' } } });
      void trackEvent(req, { action: { name: 'newsletter-signup', parameters: { 1: 'footer' } } });
      res.type('html').send(html('signup'));
    });
    await supertest(await serve(app)).get('/signup').set(PAGE).expect(200);
    const hits = (await memory.waitForHits(2)).map((hit) => parse(hit.line));
    const page = hits.find((hit) => hit.params['ct'] === undefined);
    const event = hits.find((hit) => hit.params['ct'] === 'newsletter-signup');
    expect(page?.p[1]).toBe('account/signup');
    expect(page?.params['cp777']).toBe('form');
    expect(page?.params['cp3']).toBe('b');
    expect(event?.params['ck1']).toBe('footer');
    expect(event?.params['eid']).toMatch(/^\d{19}$/);
    expect(event?.params['eid']).toBe(page?.params['eid']);
  });

  it('opts a route out with noTracking() after the middleware and takes back a fresh cookie', async () => {
    const memory = createMemoryTransport();
    const app = framework();
    app.use(mappTracking(options(memory)));
    app.get('/health', noTracking(), (_req, res) => {
      res.type('html').send(html('ok'));
    });
    app.get('/marker', (_req, res) => {
      res.type('html').send(html('marker'));
    });
    const client = supertest(await serve(app));
    const health = await client.get('/health').set(PAGE).expect(200);
    expect(health.headers['set-cookie']).toBeUndefined();
    await client.get('/marker').set(PAGE).expect(200);
    const hits = await memory.waitForHits(1);
    expect(hits.map((hit) => parse(hit.line).p[1]?.replace(/^.*\//, ''))).toEqual(['marker']);
  });

  it('does not even look at requests opted out before the middleware', async () => {
    const memory = createMemoryTransport();
    const consentCalls: string[] = [];
    const app = framework();
    app.use('/internal', noTracking());
    app.use(mappTracking(options(memory, { consent: (ctx) => (consentCalls.push(ctx.url), 'full') })));
    app.get('/internal/stats', (_req, res) => {
      res.type('html').send(html('stats'));
    });
    const response = await supertest(await serve(app)).get('/internal/stats').set(PAGE).expect(200);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(consentCalls).toEqual([]);
  });

  it('keeps tracking failures away from the app error handler and reports them to onError', async () => {
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
    const app = framework();
    app.use(mappTracking({ tracker: broken, onError: (error) => failures.push(error.message) }));
    app.get('/', (req, res) => {
      trackPage(req, { pageName: 'home' });
      void trackEvent(req, { action: { name: 'x' } }).then((result) => res.type('html').send(html(String(result.ok))));
    });
    app.use((error: unknown, _req: unknown, res: { status(code: number): { send(body: string): void } }, _next: unknown) => {
      appErrors.push(error);
      res.status(500).send('app error');
    });
    const response = await supertest(await serve(app)).get('/').set(PAGE).expect(200);
    expect(response.text).toContain('false');
    expect(appErrors).toEqual([]);
    expect(failures).toEqual(['begin exploded', 'track exploded']);
  });

  it('sends nothing and raises nothing when the client aborts before the answer', async () => {
    const memory = createMemoryTransport();
    const onError: string[] = [];
    const appErrors: unknown[] = [];
    let received!: () => void;
    const requestSeen = new Promise<void>((resolve) => (received = resolve));
    let aborted!: () => void;
    const abortSeen = new Promise<void>((resolve) => (aborted = resolve));
    const app = framework();
    app.use(mappTracking(options(memory, { onError: (error) => onError.push(error.message) })));
    app.get('/slow', (req, res) => {
      // Answer only after the client has gone.
      req.socket.once('close', () => {
        res.type('html').send(html('too late'));
        aborted();
      });
      received();
    });
    app.get('/marker', (_req, res) => {
      res.type('html').send(html('marker'));
    });
    app.use((error: unknown, _req: unknown, _res: unknown, next: (error: unknown) => void) => {
      appErrors.push(error);
      next(error);
    });
    const url = await serve(app);
    const client = httpRequest(`${url}/slow`, { headers: PAGE });
    client.on('error', () => undefined);
    client.end();
    await requestSeen;
    client.destroy();
    await abortSeen;
    await supertest(url).get('/marker').set(PAGE).expect(200);
    const hits = await memory.waitForHits(1);
    expect(hits.map((hit) => parse(hit.line).p[1]?.replace(/^.*\//, ''))).toEqual(['marker']);
    expect(onError).toEqual([]);
    expect(appErrors).toEqual([]);
  });

  it('with a synchronous consent, reaches the route without giving up the event-loop turn', async () => {
    const memory = createMemoryTransport();
    const seen: boolean[] = [];
    const app = framework();
    app.use((req, _res, next) => {
      const flag = { turnPassed: false };
      (req as unknown as { flag: typeof flag }).flag = flag;
      setImmediate(() => (flag.turnPassed = true));
      next();
    });
    app.use(mappTracking(options(memory, { consent: () => 'full' })));
    app.get('/', (req, res) => {
      seen.push((req as unknown as { flag: { turnPassed: boolean } }).flag.turnPassed);
      res.type('html').send(html('home'));
    });
    const response = await supertest(await serve(app)).get('/').set(PAGE).expect(200);
    expect(seen).toEqual([false]);
    expect((response.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^wtstp_eid=\d{19};/);
  });

  it('waits for an asynchronous consent before the route, so the cookie still goes out', async () => {
    const memory = createMemoryTransport();
    let grant!: (level: 'full') => void;
    const decided = new Promise<'full'>((resolve) => (grant = resolve));
    let asked!: () => void;
    const consentAsked = new Promise<void>((resolve) => (asked = resolve));
    const routeCalls: string[] = [];
    const app = framework();
    app.use(mappTracking(options(memory, { consent: () => (asked(), decided) })));
    app.get('/', (_req, res) => {
      routeCalls.push('route');
      res.type('html').send(html('home'));
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

  it("points at a forwarded request and at Express's trust proxy once each when trustProxy is not set", async () => {
    delete process.env['MAPP_TRUST_PROXY'];
    const memory = createMemoryTransport();
    const logger = recordingLogger();
    const { trustProxy: _unset, ...rest } = options(memory, { logger });
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(mappTracking(rest));
    app.get('/', (_req, res) => {
      res.type('html').send(html('home'));
    });
    const client = supertest(await serve(app));
    await client.get('/').set(PAGE).set('x-forwarded-for', '203.0.113.7').expect(200);
    await client.get('/').set(PAGE).set('x-forwarded-for', '203.0.113.8').expect(200);
    const [hit] = await memory.waitForHits(1);
    expect(parse(hit!.line).params['X-WT-IP']).toBe('127.0.0.1');
    expect(logger.warnings).toHaveLength(3);
    expect(logger.warnings[1]).toContain("Express 'trust proxy'");
    expect(logger.warnings[2]).toContain('X-Forwarded-For');
    for (const warning of logger.warnings) expect(warning).toContain('trustProxy');
  });
});

describe('setup errors', () => {
  it('rejects a shared tracker together with tracker options', () => {
    const memory = createMemoryTransport();
    const tracker = mappTracking(options(memory)).tracker;
    expect(() => mappTracking({ tracker, trackId: TRACK_ID })).toThrow(/either `tracker` or tracker options.*trackId/);
  });

  it('throws at startup for a bad track id, naming the option', () => {
    expect(() => mappTracking({ trackId: '123', trackDomain: 'track.example.com', trustProxy: false })).toThrow(/trackId/);
  });

  it('shares one tracker between two apps', async () => {
    const memory = createMemoryTransport();
    const tracker = mappTracking(options(memory)).tracker;
    const urls: string[] = [];
    for (const name of ['a', 'b']) {
      const app = express();
      app.use(mappTracking({ tracker }));
      app.get('/', (_req, res) => {
        res.type('html').send(html(name));
      });
      urls.push(await serve(app));
    }
    for (const url of urls) await supertest(url).get('/').set(PAGE).expect(200);
    const hits = await memory.waitForHits(2);
    expect(hits.map((hit) => parse(hit.line).params['pu'])).toEqual(urls.map((url) => `${url}/`));
  });
});

describe('send failures', () => {
  it('reports hits the endpoint rejects (a wrong track id) to onError, without a request, and the page is unaffected', async () => {
    const collector = await startCollector({ trackIds: ['111111111111111'] });
    cleanups.push(() => collector.close());
    const failures: Array<{ message: string; hasRequest: boolean }> = [];
    let reported!: () => void;
    const firstReport = new Promise<void>((resolve) => (reported = resolve));
    const app = express();
    const tracking = mappTracking({
      trackId: TRACK_ID,
      trackDomain: collector.url,
      transport: 'direct',
      trustProxy: false,
      onError: (error, req) => {
        failures.push({ message: error.message, hasRequest: req !== undefined });
        reported();
      },
    });
    cleanups.push(() => tracking.tracker.close({ timeout: 1000 }));
    app.use(tracking);
    app.get('/', (_req, res) => {
      res.type('html').send(html('home'));
    });
    await supertest(await serve(app)).get('/').set(PAGE).expect(200);
    await firstReport;
    expect(failures).toEqual([{ message: expect.stringMatching(/1 hit dropped \(rejected/), hasRequest: false }]);
    expect(collector.hits()).toEqual([]);
  });
});

describe('without the middleware', () => {
  it('trackPage and trackEvent warn once, name the fix and never throw', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const app = express();
      let result: unknown;
      app.get('/', async (req, res) => {
        trackPage(req, { pageName: 'x' });
        trackPage(req, { pageName: 'y' });
        result = await trackEvent(req, { action: { name: 'x' } });
        res.type('html').send(html('home'));
      });
      await supertest(await serve(app)).get('/').set(PAGE).expect(200);
      expect(result).toMatchObject({ ok: false, status: 'failed' });
      // The hint also names the other cause: a route that replaced res.locals.
      expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([expect.stringMatching(/app\.use\(mappTracking\(.*add to res\.locals rather than replace it/)]);
    } finally {
      warn.mockRestore();
    }
  });
});
