import { afterEach, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createMemoryTransport, type MemoryTransport } from '@mapp-s2s/core';
import { createTracker } from '@mapp-s2s/core/node';
import { validateLine } from '@mapp-s2s/collector';
import { BROWSER_UA, listen, recordingLogger } from '@mapp-s2s/adapter-tests';
import { mappTracking, noTracking, NoTracking, TrackAs, trackEvent, trackPage, type FastifyTrackingOptions } from '../src/index.js';

const TRACK_ID = '123451234512345';
const PAGE = { 'user-agent': BROWSER_UA, accept: 'text/html' };
const html = (text: string) => `<!doctype html><title>${text}</title>`;
const parse = (line: string) => validateLine(line);
const lastSegment = (line: string) => parse(line).p[1]?.replace(/^.*\//, '');

const apps: FastifyInstance[] = [];
const servers = new Map<FastifyInstance, { url: string; close(): Promise<void> }>();
afterEach(async () => {
  for (const server of servers.values()) await server.close();
  servers.clear();
  for (const app of apps.splice(0)) await app.close();
});

/** GETs `url` from `app` over real HTTP (served on loopback on first use). */
async function get(app: FastifyInstance, url: string): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }> {
  let server = servers.get(app);
  if (server === undefined) {
    await app.ready();
    server = await listen((req, res) => app.routing(req, res));
    servers.set(app, server);
  }
  const response = await fetch(server.url + url, { headers: PAGE });
  return { statusCode: response.status, headers: { 'set-cookie': response.headers.getSetCookie() }, body: await response.text() };
}

function options(memory: MemoryTransport, extra: FastifyTrackingOptions = {}): FastifyTrackingOptions {
  return { trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9', trustProxy: false, transport: memory, logger: recordingLogger(), ...extra };
}

/** An app with the plugin and `GET /:page` answering a small HTML page. */
async function createApp(memory: MemoryTransport, extra: FastifyTrackingOptions = {}, routes?: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const app = Fastify();
  apps.push(app);
  await app.register(mappTracking, options(memory, extra));
  routes?.(app);
  app.get<{ Params: { page: string } }>('/:page', (request, reply) => reply.type('text/html').send(html(request.params.page)));
  await app.ready();
  return app;
}

const cookiesOf = (headers: Record<string, unknown>): string[] => [headers['set-cookie'] ?? []].flat().map(String);

/** Requests `path`, then `/marker`, and returns the hits up to the marker's: proves what `path` sent. */
async function hitsThrough(app: FastifyInstance, memory: MemoryTransport, path: string): Promise<string[]> {
  await get(app, path);
  const before = memory.hits.length;
  await get(app, '/marker');
  await memory.waitForHits(before + 1);
  return memory.hits.map((hit) => lastSegment(hit.line) ?? '');
}

describe('the Fastify plugin', () => {
  it('adds the visitor cookie next to cookies hooks and handlers set on the reply', async () => {
    const memory = createMemoryTransport();
    const app = Fastify();
    apps.push(app);
    app.addHook('onRequest', (_request, reply, done) => {
      reply.header('set-cookie', 'early=1; Path=/');
      done();
    });
    await app.register(mappTracking, options(memory));
    app.get('/', (_request, reply) => reply.header('set-cookie', 'session=abc').type('text/html').send(html('home')));
    const response = await get(app, '/');
    const cookies = cookiesOf(response.headers);
    expect(cookies.map((cookie) => cookie.split('=')[0])).toEqual(['early', 'wtstp_eid', 'session']);
    const [hit] = await memory.waitForHits(1);
    expect(cookies[1]).toContain(`wtstp_eid=${parse(hit!.line).params['eid']}`);
  });

  it('opts a route out by route config: no cookie, no hit', async () => {
    const memory = createMemoryTransport();
    const app = await createApp(memory, {}, (instance) => {
      instance.get('/health', { config: { mappTracking: false } }, () => 'ok');
    });
    const response = await get(app, '/health');
    expect(cookiesOf(response.headers)).toEqual([]);
    expect(await hitsThrough(app, memory, '/health')).toEqual(['marker']);
  });

  it('opts out with the noTracking() hook or request.noTracking() and takes back the fresh cookie', async () => {
    const memory = createMemoryTransport();
    const app = await createApp(memory, {}, (instance) => {
      instance.get('/hooked', { onRequest: noTracking() }, (_request, reply) => reply.type('text/html').send(html('hooked')));
      instance.get('/inside', (request, reply) => {
        request.noTracking();
        return reply.type('text/html').send(html('inside'));
      });
    });
    for (const path of ['/hooked', '/inside']) {
      const response = await get(app, path);
      expect(cookiesOf(response.headers)).toEqual([]);
    }
    expect(await hitsThrough(app, memory, '/hooked')).toEqual(['marker']);
    memory.clear();
    expect(await hitsThrough(app, memory, '/inside')).toEqual(['marker']);
  });

  it('offers trackPage/trackEvent as functions and on the request, sharing the visitor', async () => {
    const memory = createMemoryTransport();
    const app = await createApp(memory, {}, (instance) => {
      instance.get('/signup', async (request, reply) => {
        trackPage(request, { pageName: 'account/signup', page: { type: 'form' } });
        request.trackPage({ page: { parameters: { 3: 'b' } } });
        const result = await request.trackEvent({ action: { name: 'newsletter-signup', parameters: { 1: 'footer' } } });
        const direct = await trackEvent(request, { action: { name: 'second-event' } });
        return reply.type('text/html').send(html(`${String(result.ok)} ${String(direct.ok)}`));
      });
    });
    const response = await get(app, '/signup');
    expect(response.body).toContain('true true');
    const hits = (await memory.waitForHits(3)).map((hit) => parse(hit.line));
    const page = hits.find((hit) => hit.params['ct'] === undefined);
    expect(page?.p[1]).toBe('account/signup');
    expect(page?.params['cp777']).toBe('form');
    expect(page?.params['cp3']).toBe('b');
    expect(page?.params['eid']).toMatch(/^\d{19}$/);
    expect(hits.find((hit) => hit.params['ct'] === 'newsletter-signup')?.params['eid']).toBe(page?.params['eid']);
    expect(hits.find((hit) => hit.params['ct'] === 'second-event')?.params['eid']).toBe(page?.params['eid']);
  });

  it('reads @NoTracking() and @TrackAs() on controllers that receive (request, reply)', async () => {
    @TrackAs({ page: { type: 'account' } })
    class AccountController {
      orders(request: FastifyRequest, reply: FastifyReply): FastifyReply {
        trackPage(request, { pageName: 'account/orders' });
        return reply.type('text/html').send(html('orders'));
      }

      @NoTracking()
      settings(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
        return reply.type('text/html').send(html('settings'));
      }
    }
    const memory = createMemoryTransport();
    const account = new AccountController();
    const app = await createApp(memory, {}, (instance) => {
      instance.get('/orders', (request, reply) => account.orders(request, reply));
      instance.get('/settings', (request, reply) => account.settings(request, reply));
    });
    const settings = await get(app, '/settings');
    expect(cookiesOf(settings.headers)).toEqual([]);
    await get(app, '/orders');
    const [hit] = await memory.waitForHits(1);
    expect(parse(hit!.line).p[1]).toBe('account/orders');
    expect(parse(hit!.line).params['cp777']).toBe('account');
    expect(memory.hits).toHaveLength(1);
  });

  it("passes the app's error to Fastify's error handler and sends no page view for the 500", async () => {
    const memory = createMemoryTransport();
    const app = await createApp(memory, {}, (instance) => {
      instance.get('/boom', () => {
        throw new Error('boom');
      });
    });
    const response = await get(app, '/boom');
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toMatchObject({ message: 'boom' });
    expect(await hitsThrough(app, memory, '/boom')).toEqual(['marker']);
  });

  it('sends one hit per request when registered twice, and says so once', async () => {
    const memory = createMemoryTransport();
    const logger = recordingLogger();
    const app = Fastify();
    apps.push(app);
    await app.register(mappTracking, options(memory, { logger }));
    await app.register(mappTracking, options(memory, { logger }));
    app.get('/:page', (_request, reply) => reply.type('text/html').send(html('page')));
    await get(app, '/first');
    await get(app, '/second');
    expect(await memory.waitForHits(2)).toHaveLength(2);
    expect(logger.warnings.filter((warning) => warning.includes('twice'))).toHaveLength(1);
  });

  it('closes the tracker it created on app.close(), and leaves a shared one open', async () => {
    const own = Fastify();
    await own.register(mappTracking, options(createMemoryTransport()));
    await own.ready();
    const ownTracker = own.mappTracker;
    await own.close();
    expect(await ownTracker.track({ action: { name: 'late' } })).toMatchObject({ ok: false, reason: 'closed' });

    const shared = createTracker({ trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9', transport: createMemoryTransport(), logger: recordingLogger() });
    const app = Fastify();
    await app.register(mappTracking, { tracker: shared, logger: recordingLogger() });
    await app.close();
    expect(await shared.track({ action: { name: 'still-open' } })).toMatchObject({ ok: true });
    await shared.close();
  });

  it('rejects bad options from register(), naming the option', async () => {
    const app = Fastify();
    await expect(app.register(mappTracking, { trackId: '123', trackDomain: 'http://127.0.0.1:9', trustProxy: false })).rejects.toThrow(/trackId/);
    await app.close().catch(() => undefined);
  });

  it("points at Fastify's own trustProxy once when the plugin's is not set", async () => {
    const memory = createMemoryTransport();
    const logger = recordingLogger();
    const app = Fastify({ trustProxy: true });
    apps.push(app);
    await app.register(mappTracking, { trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9', transport: memory, logger });
    app.get('/', (_request, reply) => reply.type('text/html').send(html('home')));
    await get(app, '/');
    await get(app, '/');
    expect(logger.warnings.filter((warning) => warning.includes("Fastify's trustProxy is on"))).toHaveLength(1);
  });
});
