import { afterEach, describe, expect, it } from '@jest/globals';
import Koa, { type Context } from 'koa';
import Router from '@koa/router';
import supertest from 'supertest';
import ts from 'typescript';
import { createMemoryTransport, type MemoryTransport } from '@mapp-s2s/core';
import { validateLine } from '@mapp-s2s/collector';
import { BROWSER_UA } from '@mapp-s2s/adapter-tests';
import * as adapter from '../src/index.js';
import { mappTracking, NoTracking, TrackAs, trackPage } from '../src/index.js';
import { listen, recordingLogger } from './support.js';

const PAGE = { 'user-agent': BROWSER_UA, accept: 'text/html' };
const html = (text: string) => `<!doctype html><title>${text}</title>`;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** An app with the middleware, the routes of `router` and `/marker`. */
async function start(routes: (router: Router) => void): Promise<{ client: ReturnType<typeof supertest>; memory: MemoryTransport }> {
  const memory = createMemoryTransport();
  const app = new Koa();
  app.use(mappTracking({ trackId: '123451234512345', trackDomain: 'http://127.0.0.1:9', trustProxy: false, transport: memory, logger: recordingLogger() }));
  const router = new Router();
  routes(router);
  router.get('/marker', (ctx) => {
    ctx.type = 'html';
    ctx.body = html('marker');
  });
  app.use(router.routes());
  const server = await listen(app.callback());
  cleanups.push(() => server.close());
  return { client: supertest(server.url), memory };
}

/** Requests `paths` in order, then the marker, and returns the page names of all hits sent. */
async function pageNames(client: ReturnType<typeof supertest>, memory: MemoryTransport, paths: string[], expectedHits: number): Promise<string[]> {
  for (const path of paths) await client.get(path).set(PAGE);
  await client.get('/marker').set(PAGE).expect(200);
  const hits = await memory.waitForHits(expectedHits + 1);
  return hits.map((hit) => validateLine(hit.line).p[1] ?? '').map((name) => name.replace(/^127\.0\.0\.1:\d+/, ''));
}

describe('standard (TC39) decorators', () => {
  it('@NoTracking() on a method opts out that handler only', async () => {
    class ReportsController {
      @NoTracking()
      async internal(ctx: Context): Promise<void> {
        ctx.type = 'html';
        ctx.body = html('internal');
      }

      public(ctx: Context): void {
        ctx.type = 'html';
        ctx.body = html('public');
      }
    }
    const reports = new ReportsController();
    const { client, memory } = await start((router) => {
      router.get('/internal', (ctx) => reports.internal(ctx));
      router.get('/public', reports.public.bind(reports));
    });
    expect(await pageNames(client, memory, ['/internal', '/public'], 1)).toEqual(['/public', '/marker']);
  });

  it('@NoTracking() on a class opts out every method and sets no cookie', async () => {
    @NoTracking()
    class AdminController {
      index(ctx: Context): void {
        ctx.type = 'html';
        ctx.body = html('admin');
      }

      users(ctx: Context): void {
        ctx.type = 'html';
        ctx.body = html('users');
      }
    }
    const admin = new AdminController();
    const { client, memory } = await start((router) => {
      router.get('/admin', admin.index.bind(admin));
      router.get('/admin/users', (ctx) => admin.users(ctx));
    });
    const response = await client.get('/admin').set(PAGE).expect(200);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(await pageNames(client, memory, ['/admin/users'], 0)).toEqual(['/marker']);
  });

  it('@TrackAs() names the page, the handler can still override, and class rules come first', async () => {
    @TrackAs({ page: { type: 'account' }, pageName: 'account/any' })
    class AccountController {
      @TrackAs({ pageName: 'account/orders' })
      orders(ctx: Context): void {
        ctx.type = 'html';
        ctx.body = html('orders');
      }

      @TrackAs({ pageName: 'account/profile' })
      profile(ctx: Context): void {
        trackPage(ctx, { pageName: 'account/profile/edit' });
        ctx.type = 'html';
        ctx.body = html('profile');
      }

      settings(ctx: Context): void {
        ctx.type = 'html';
        ctx.body = html('settings');
      }
    }
    const account = new AccountController();
    const { client, memory } = await start((router) => {
      router.get('/orders', (ctx) => account.orders(ctx));
      router.get('/profile', (ctx) => account.profile(ctx));
      router.get('/settings', (ctx) => account.settings(ctx));
    });
    expect(await pageNames(client, memory, ['/orders', '/profile', '/settings'], 3)).toEqual(['account/orders', 'account/profile/edit', 'account/any', '/marker']);
    expect(validateLine(memory.lines[0] ?? '').params['cp777']).toBe('account');
  });

  it('refuses to decorate a field', () => {
    expect(() => {
      class Broken {
        // @ts-expect-error a field is not a handler
        @NoTracking() handler = (): void => undefined;
      }
      return new Broken();
    }).toThrow(/class or a method/);
  });
});

describe('legacy (experimentalDecorators) decorators', () => {
  it('applies @NoTracking() and @TrackAs() compiled as legacy decorators', async () => {
    const output = ts.transpileModule(
      `
      import { NoTracking, TrackAs } from '@mapp-s2s/koa';
      @NoTracking()
      export class Admin { index(ctx) { ctx.type = 'html'; ctx.body = '<p>admin</p>'; } }
      export class Shop {
        @TrackAs({ pageName: 'legacy/shop' })
        index(ctx) { ctx.type = 'html'; ctx.body = '<p>shop</p>'; }
      }
    `,
      { compilerOptions: { experimentalDecorators: true, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } },
    );
    expect(output.outputText).toContain('__decorate(');
    const loaded: Record<string, new () => { index(ctx: Context): void }> = {};
    new Function('require', 'exports', output.outputText)(() => adapter, loaded);
    const admin = new loaded['Admin']!();
    const shop = new loaded['Shop']!();
    const { client, memory } = await start((router) => {
      router.get('/admin', (ctx) => admin.index(ctx));
      router.get('/shop', (ctx) => shop.index(ctx));
    });
    expect(await pageNames(client, memory, ['/admin', '/shop'], 1)).toEqual(['legacy/shop', '/marker']);
  });
});
