import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Header, Inject, Injectable, Module, Req, Res, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createMemoryTransport, type MemoryTransport } from '@mapp-s2s/core';
import { createTracker } from '@mapp-s2s/core/node';
import { validateLine } from '@mapp-s2s/collector';
import { BROWSER_UA, recordingLogger, setCookieValue, type RunningShop } from '@mapp-s2s/adapter-tests';
import { MappTracker, MappTrackingModule, NoTracking, TrackAs, type NestTrackingOptions } from '../src/index.js';
import { adapterFor, PLATFORMS, serveNest, type Platform } from './support.js';

const TRACK_ID = '123451234512345';
const PAGE = { 'user-agent': BROWSER_UA, accept: 'text/html' };
const HTML = 'text/html; charset=utf-8';
const parse = (line: string) => validateLine(line);

const running: RunningShop[] = [];
afterEach(async () => {
  for (const shop of running.splice(0)) await shop.close();
});

function options(memory: MemoryTransport, extra: NestTrackingOptions = {}): NestTrackingOptions {
  return { trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9', trustProxy: false, transport: memory, logger: recordingLogger(), ...extra };
}

@TrackAs({ page: { type: 'account' } })
@Controller('account')
class AccountController {
  constructor(@Inject(MappTracker) private readonly mapp: MappTracker) {}

  @Get('orders')
  @TrackAs({ pageName: 'account/orders' })
  @Header('content-type', HTML)
  orders(): string {
    return '<p>orders</p>';
  }

  @Get('settings')
  @NoTracking()
  @Header('content-type', HTML)
  settings(): string {
    return '<p>settings</p>';
  }

  @Get('signup')
  @Header('content-type', HTML)
  async signup(@Req() req: object): Promise<string> {
    this.mapp.trackPage(req, { pageName: 'account/signup' });
    const result = await this.mapp.trackEvent(req, { action: { name: 'newsletter-signup' } });
    return `<p>${String(result.ok)}</p>`;
  }
}

@NoTracking()
@Controller('internal')
class InternalController {
  @Get('report')
  @Header('content-type', HTML)
  report(): string {
    return '<p>report</p>';
  }

  @Get('public')
  @TrackAs({ pageName: 'internal/public' })
  @Header('content-type', HTML)
  publicPage(): string {
    return '<p>public</p>';
  }
}

@Controller('cookies')
class CookieController {
  /** Sets a cookie through the platform's own response API (Fastify: the reply's headers). */
  @Get()
  @Header('content-type', HTML)
  withCookie(@Res({ passthrough: true }) res: { header?(name: string, value: string): unknown; cookie?(name: string, value: string): unknown }): string {
    if (typeof res.cookie === 'function') res.cookie('session', 'abc');
    else res.header?.('set-cookie', 'session=abc');
    return '<p>cookie</p>';
  }
}

const CONTROLLERS = [AccountController, InternalController, CookieController];

async function start(platform: Platform, root: Type<unknown>): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(root, adapterFor(platform), { logger: false, abortOnError: false });
  await app.init();
  const shop = await serveNest(app);
  running.push(shop);
  return { app, url: shop.url };
}

async function startWith(platform: Platform, memory: MemoryTransport, extra: NestTrackingOptions = {}): Promise<string> {
  @Module({ imports: [MappTrackingModule.forRoot(options(memory, extra))], controllers: CONTROLLERS })
  class AppModule {}
  return (await start(platform, AppModule)).url;
}

async function get(url: string): Promise<{ status: number; cookies: string[]; body: string }> {
  const response = await fetch(url, { headers: PAGE });
  return { status: response.status, cookies: response.headers.getSetCookie(), body: await response.text() };
}

describe.each(PLATFORMS)('MappTrackingModule on the %s platform', (platform) => {
  it('reads @TrackAs() of controller and handler, and a handler rule wins over its controller', async () => {
    const memory = createMemoryTransport();
    const url = await startWith(platform, memory);
    expect((await get(`${url}/account/settings`)).cookies).toEqual([]);
    expect((await get(`${url}/internal/report`)).cookies).toEqual([]);
    await get(`${url}/internal/public`);
    await get(`${url}/account/orders`);
    const hits = (await memory.waitForHits(2)).map((hit) => parse(hit.line));
    expect(hits.map((hit) => hit.p[1])).toEqual(['internal/public', 'account/orders']);
    expect(hits[1]?.params['cp777']).toBe('account');
    expect(memory.hits).toHaveLength(2);
  });

  it('MappTracker adds page data and sends events of the request’s visitor', async () => {
    const memory = createMemoryTransport();
    const url = await startWith(platform, memory);
    const response = await get(`${url}/account/signup`);
    expect(response.body).toContain('true');
    const hits = (await memory.waitForHits(2)).map((hit) => parse(hit.line));
    const page = hits.find((hit) => hit.params['ct'] === undefined);
    const event = hits.find((hit) => hit.params['ct'] === 'newsletter-signup');
    expect(page?.p[1]).toBe('account/signup');
    expect(event?.params['eid']).toBe(page?.params['eid']);
    expect(setCookieValue(response.cookies, 'wtstp_eid')).toBe(page?.params['eid']);
  });

  it('keeps the visitor cookie next to a cookie the handler sets through the platform', async () => {
    const memory = createMemoryTransport();
    const url = await startWith(platform, memory);
    const response = await get(`${url}/cookies`);
    expect(response.cookies.map((cookie) => cookie.split('=')[0]).sort()).toEqual(['session', 'wtstp_eid']);
    const [hit] = await memory.waitForHits(1);
    expect(setCookieValue(response.cookies, 'wtstp_eid')).toBe(parse(hit!.line).params['eid']);
  });

  it('takes options from forRootAsync (imports, inject, useFactory)', async () => {
    const memory = createMemoryTransport();
    @Injectable()
    class ConfigService {
      get(name: 'trackId'): string {
        return name === 'trackId' ? TRACK_ID : '';
      }
    }
    @Module({ providers: [ConfigService], exports: [ConfigService] })
    class ConfigModule {}
    @Module({
      imports: [
        MappTrackingModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: async (config: ConfigService) => options(memory, { trackId: config.get('trackId') }),
        }),
      ],
      controllers: CONTROLLERS,
    })
    class AppModule {}
    const { url } = await start(platform, AppModule);
    await get(`${url}/account/orders`);
    const [hit] = await memory.waitForHits(1);
    expect(parse(hit!.line).p[1]).toBe('account/orders');
  });
});

describe('MappTrackingModule lifecycle', () => {
  it('closes the tracker it created when the app closes (enableShutdownHooks calls the same hook)', async () => {
    const memory = createMemoryTransport();
    @Module({ imports: [MappTrackingModule.forRoot(options(memory))], controllers: CONTROLLERS })
    class AppModule {}
    const app = await NestFactory.create(AppModule, adapterFor('express'), { logger: false });
    app.enableShutdownHooks();
    await app.init();
    const tracker = app.get(MappTracker).tracker;
    await app.close();
    expect(memory.closed).toBe(1);
    expect(await tracker.track({ action: { name: 'late' } })).toMatchObject({ ok: false, reason: 'closed' });
  });

  it('leaves a tracker passed in open', async () => {
    const shared = createTracker({ trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9', transport: createMemoryTransport(), logger: recordingLogger() });
    @Module({ imports: [MappTrackingModule.forRoot({ tracker: shared, logger: recordingLogger() })] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, adapterFor('express'), { logger: false });
    await app.init();
    await app.close();
    expect(await shared.track({ action: { name: 'still-open' } })).toMatchObject({ ok: true });
    await shared.close();
  });

  it('fails the start for bad options, naming the option', async () => {
    @Module({ imports: [MappTrackingModule.forRoot({ trackId: '123', trackDomain: 'http://127.0.0.1:9', trustProxy: false })] })
    class AppModule {}
    await expect(NestFactory.create(AppModule, adapterFor('express'), { logger: false, abortOnError: false })).rejects.toThrow(/trackId/);
  });
});
