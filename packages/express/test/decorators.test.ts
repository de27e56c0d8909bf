import { afterEach, describe, expect, it } from '@jest/globals';
import express, { type NextFunction, type Request, type Response } from 'express';
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

/** An app with the middleware, `routes` and a marker route; returns a client and the memory transport. */
async function start(routes: (app: ReturnType<typeof express>) => void): Promise<{ client: ReturnType<typeof supertest>; memory: MemoryTransport }> {
  const memory = createMemoryTransport();
  const app = express();
  app.use(mappTracking({ trackId: '123451234512345', trackDomain: 'http://127.0.0.1:9', trustProxy: false, transport: memory, logger: recordingLogger() }));
  routes(app);
  app.get('/marker', (_req, res) => {
    res.type('html').send(html('marker'));
  });
  const server = await listen(app);
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
      internal(_req: Request, res: Response): void {
        res.type('html').send(html('internal'));
      }

      public(_req: Request, res: Response): void {
        res.type('html').send(html('public'));
      }
    }
    const reports = new ReportsController();
    const { client, memory } = await start((app) => {
      app.get('/internal', (req, res) => reports.internal(req, res));
      app.get('/public', reports.public.bind(reports));
    });
    expect(await pageNames(client, memory, ['/internal', '/public'], 1)).toEqual(['/public', '/marker']);
  });

  it('@NoTracking() on a class opts out every method and sets no cookie', async () => {
    @NoTracking()
    class AdminController {
      index(_req: Request, res: Response): void {
        res.type('html').send(html('admin'));
      }

      async users(_req: Request, res: Response): Promise<void> {
        await Promise.resolve();
        res.type('html').send(html('users'));
      }
    }
    const admin = new AdminController();
    const { client, memory } = await start((app) => {
      app.get('/admin', admin.index.bind(admin));
      app.get('/admin/users', (req, res) => admin.users(req, res));
    });
    const response = await client.get('/admin').set(PAGE).expect(200);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(await pageNames(client, memory, ['/admin/users'], 0)).toEqual(['/marker']);
  });

  it('@TrackAs() names the page, the handler can still override, and class rules come first', async () => {
    @TrackAs({ page: { type: 'account' }, pageName: 'account/any' })
    class AccountController {
      @TrackAs({ pageName: 'account/orders' })
      orders(_req: Request, res: Response): void {
        res.type('html').send(html('orders'));
      }

      @TrackAs({ pageName: 'account/profile' })
      profile(req: Request, res: Response): void {
        trackPage(req, { pageName: 'account/profile/edit' });
        res.type('html').send(html('profile'));
      }

      settings(_req: Request, res: Response): void {
        res.type('html').send(html('settings'));
      }
    }
    const account = new AccountController();
    const { client, memory } = await start((app) => {
      app.get('/orders', (req, res) => account.orders(req, res));
      app.get('/profile', (req, res) => account.profile(req, res));
      app.get('/settings', (req, res) => account.settings(req, res));
    });
    expect(await pageNames(client, memory, ['/orders', '/profile', '/settings'], 3)).toEqual(['account/orders', 'account/profile/edit', 'account/any', '/marker']);
    expect(validateLine(memory.lines[0] ?? '').params['cp777']).toBe('account');
  });

  it('keeps the arity of a decorated error handler, so Express still calls it with the error', async () => {
    class ErrorsController {
      @TrackAs({ pageName: 'error/friendly' })
      handle(error: Error, _req: Request, res: Response, _next: NextFunction): void {
        res.status(200).type('html').send(html(`sorry: ${error.message}`));
      }
    }
    const errors = new ErrorsController();
    expect(errors.handle.length).toBe(4);
    const { client, memory } = await start((app) => {
      app.get('/fails', () => {
        throw new Error('boom');
      });
      app.use(errors.handle.bind(errors));
    });
    const response = await client.get('/fails').set(PAGE).expect(200);
    expect(response.text).toContain('sorry: boom');
    expect(await pageNames(client, memory, [], 1)).toEqual(['error/friendly', '/marker']);
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
  /** Compiles `source` the way a project with `experimentalDecorators: true` would, and loads it. */
  function compileLegacy(source: string): Record<string, new () => Record<string, (req: Request, res: Response) => void>> {
    const output = ts.transpileModule(source, {
      compilerOptions: { experimentalDecorators: true, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    });
    expect(output.outputText).toContain('__decorate(');
    const exports: Record<string, never> = {};
    new Function('require', 'exports', output.outputText)(() => adapter, exports);
    return exports;
  }

  it('applies @NoTracking() and @TrackAs() compiled as legacy decorators', async () => {
    const loaded = compileLegacy(`
      import { NoTracking, TrackAs } from '@mapp-s2s/express';
      @NoTracking()
      export class Admin { index(req, res) { res.type('html').send('<p>admin</p>'); } }
      export class Shop {
        @TrackAs({ pageName: 'legacy/shop' })
        index(req, res) { res.type('html').send('<p>shop</p>'); }
      }
    `);
    const admin = new loaded['Admin']!();
    const shop = new loaded['Shop']!();
    const { client, memory } = await start((app) => {
      app.get('/admin', (req, res) => admin['index']!(req, res));
      app.get('/shop', (req, res) => shop['index']!(req, res));
    });
    expect(await pageNames(client, memory, ['/admin', '/shop'], 1)).toEqual(['legacy/shop', '/marker']);
  });
});
