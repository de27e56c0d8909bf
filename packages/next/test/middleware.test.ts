import { describe, expect, it } from '@jest/globals';
import { createMemoryTransport } from '@mapp-s2s/core';
import { mappTracking } from '@mapp-s2s/next';
import { cookieValue, fakeEvent, nextRequest, params, testOptions } from './helpers.js';

describe('mappTracking', () => {
  it('mints a visitor cookie and sends one page view inside waitUntil', async () => {
    const memory = createMemoryTransport();
    const middleware = mappTracking(testOptions(memory));
    const { event, pending, settled } = fakeEvent();

    const response = await middleware(nextRequest('/products/teapot?color=red'), event);
    await settled();

    expect(response.headers.get('x-middleware-next')).toBe('1');
    const eid = cookieValue(response, 'wtstp_eid');
    expect(eid).toMatch(/^8\d{18}$/);
    expect(pending).toHaveLength(1);
    expect(memory.lines).toHaveLength(1);
    const hit = params(memory.lines[0] ?? '');
    expect(hit.get('eid')).toBe(eid);
    expect(hit.get('one')).toBe('1');
    expect(hit.get('p')?.split(',')[1]).toBe('shop.example.com/products/teapot');
    expect(hit.get('pu')).toBe('http://shop.example.com/products/teapot?color=red');
    expect(hit.get('X-WT-IP')).toBe('203.0.113.9');
  });

  it('keeps an existing visitor id and sets no cookie', async () => {
    const memory = createMemoryTransport();
    const { event, settled } = fakeEvent();
    const response = await mappTracking(testOptions(memory))(nextRequest('/', { cookie: 'wtstp_eid=8170000000012345678' }), event);
    await settled();

    expect(response.headers.getSetCookie()).toEqual([]);
    expect(params(memory.lines[0] ?? '').get('eid')).toBe('8170000000012345678');
    expect(params(memory.lines[0] ?? '').get('one')).toBeNull();
  });

  it('returns before the hit is sent', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const memory = createMemoryTransport();
    memory.respond(() => ({ ok: true, status: 'sent' }));
    const slow = (context: Parameters<typeof memory>[0]) => {
      const inner = memory(context);
      return { ...inner, send: async (hit: Parameters<typeof inner.send>[0]) => (await gate, inner.send(hit)) };
    };
    const { event, pending } = fakeEvent();

    const response = await mappTracking({ ...testOptions(), transport: slow })(nextRequest('/cart'), event);

    expect(response.headers.get('x-middleware-next')).toBe('1');
    expect(memory.lines).toHaveLength(0);
    release();
    await Promise.all(pending);
    expect(memory.lines).toHaveLength(1);
  });

  it.each([
    ['a router prefetch', '/cart', { 'next-router-prefetch': '1' }, 'GET'],
    ['an RSC request', '/cart', { rsc: '1' }, 'GET'],
    ['a browser prefetch', '/cart', { 'sec-purpose': 'prefetch' }, 'GET'],
    ['a client-side navigation fetch (headers stripped by Next)', '/cart', { accept: '*/*', 'sec-fetch-dest': 'empty', 'sec-fetch-mode': 'cors' }, 'GET'],
    ['an _rsc data request', '/cart?_rsc=1x2y', {}, 'GET'],
    ['a server action POST', '/cart', { 'next-action': 'abc' }, 'POST'],
    ['a Next asset', '/_next/static/chunks/main.js', { accept: '*/*', 'sec-fetch-dest': 'script' }, 'GET'],
    ['a file', '/static/app.css', { accept: 'text/css', 'sec-fetch-dest': 'style' }, 'GET'],
    ['a JSON API call', '/api/status', { accept: 'application/json', 'sec-fetch-dest': undefined, 'sec-fetch-mode': undefined }, 'GET'],
    ['a bot', '/', { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' }, 'GET'],
  ])('sends no page view for %s', async (_name, path, headers, method) => {
    const memory = createMemoryTransport();
    const { event, settled } = fakeEvent();
    const response = await mappTracking(testOptions(memory))(nextRequest(path, headers, method), event);
    const results = await settled();

    expect(response.status).toBe(200);
    expect(memory.lines).toEqual([]);
    expect(results.every((result: unknown) => (result as { ok: boolean }).ok === false)).toBe(true);
  });

  it('sends no page view for a route marked not found, but keeps the visitor', async () => {
    const memory = createMemoryTransport();
    const { event, settled } = fakeEvent();
    const middleware = mappTracking({ ...testOptions(memory), notFound: (request) => request.nextUrl.pathname === '/missing' });

    const response = await middleware(nextRequest('/missing'), event);
    const [result] = await settled();

    expect(memory.lines).toEqual([]);
    expect(result).toMatchObject({ ok: false, status: 'skipped', reason: 'status' });
    expect(cookieValue(response, 'wtstp_eid')).toMatch(/^\d{19}$/);
  });

  it('skips routes the core excludes or the skip predicate rejects', async () => {
    const memory = createMemoryTransport();
    const { event, settled } = fakeEvent();
    const middleware = mappTracking({
      ...testOptions(memory),
      exclude: [/^\/admin(\/|$)/],
      skip: (ctx) => ctx.url.includes('/health'),
    });

    await middleware(nextRequest('/admin'), event);
    await middleware(nextRequest('/health'), event);
    await middleware(nextRequest('/administrators'), event);
    await settled();

    expect(memory.lines.map((line) => params(line).get('p')?.split(',')[1])).toEqual(['shop.example.com/administrators']);
  });

  it('adds per-route hit data from hitData', async () => {
    const memory = createMemoryTransport();
    const { event, settled } = fakeEvent();
    const middleware = mappTracking({
      ...testOptions(memory),
      hitData: (request) => ({ products: [{ id: request.nextUrl.pathname.split('/')[2] ?? '', cost: 34.9, quantity: 1 }], productStatus: 'view' }),
    });

    await middleware(nextRequest('/products/teapot'), event);
    await settled();

    const hit = params(memory.lines[0] ?? '');
    expect([hit.get('ba'), hit.get('co'), hit.get('qn'), hit.get('st')]).toEqual(['teapot', '34.9', '1', 'view']);
  });

  it('leaves the page view to a page that tracks itself, but sets the cookie', async () => {
    const memory = createMemoryTransport();
    const { event, pending } = fakeEvent();
    const middleware = mappTracking({ ...testOptions(memory), pageTracksItself: (request) => request.nextUrl.pathname === '/checkout/confirmation' });

    const response = await middleware(nextRequest('/checkout/confirmation?order=A-1'), event);

    expect(pending).toEqual([]);
    expect(cookieValue(response, 'wtstp_eid')).toMatch(/^\d{19}$/);
  });

  it('works without an event (no waitUntil) and still never throws', async () => {
    const memory = createMemoryTransport();
    const response = await mappTracking(testOptions(memory))(nextRequest('/'));
    await memory.waitForHits(1);

    expect(response.headers.get('x-middleware-next')).toBe('1');
    expect(memory.lines).toHaveLength(1);
  });

  it('passes requests through untouched when the configuration is invalid', async () => {
    const logged: unknown[] = [];
    const logger = { debug: () => undefined, warn: (...args: unknown[]) => void logged.push(args), error: (...args: unknown[]) => void logged.push(args) };
    const middleware = mappTracking({ trackDomain: 'track.example.com', env: {}, logger });
    const { event, pending } = fakeEvent();

    const first = await middleware(nextRequest('/'), event);
    const second = await middleware(nextRequest('/cart'), event);

    expect(first.headers.get('x-middleware-next')).toBe('1');
    expect(second.headers.getSetCookie()).toEqual([]);
    expect(pending).toEqual([]);
    expect(logged).toHaveLength(1);
    expect(String((logged[0] as unknown[])[1])).toContain('trackId');
  });
});
