import { describe, expect, it } from '@jest/globals';
import { createMemoryTransport } from '@mapp-s2s/core';
import { createNextTracker, withMappTracking } from '@mapp-s2s/next';
import { NextResponse } from 'next/server.js';
import type { NextRequest } from 'next/server.js';
import { cookieValue, fakeEvent, nextRequest, params, testOptions } from './helpers.js';

describe('withMappTracking', () => {
  it('sets the visitor cookie on a rewrite and keeps the rewrite', async () => {
    const memory = createMemoryTransport();
    const { event, settled } = fakeEvent();
    const middleware = withMappTracking((request: NextRequest) => NextResponse.rewrite(new URL('/products/teapot', request.url)), testOptions(memory));

    const response = await middleware(nextRequest('/deal-of-the-day'), event);
    await settled();

    expect(response.headers.get('x-middleware-rewrite')).toBe('http://localhost:3000/products/teapot');
    const eid = cookieValue(response, 'wtstp_eid');
    expect(eid).toMatch(/^\d{19}$/);
    // The page behind the rewrite sees the new cookie through Next's own channel.
    expect(response.headers.get('x-middleware-set-cookie')).toContain(`wtstp_eid=${eid}`);
    // The page view is the URL the visitor asked for.
    expect(params(memory.lines[0] ?? '').get('p')?.split(',')[1]).toBe('shop.example.com/deal-of-the-day');
  });

  it('sets the visitor cookie on a NextResponse redirect and sends no page view for it', async () => {
    const memory = createMemoryTransport();
    const { event, settled } = fakeEvent();
    const middleware = withMappTracking((request: NextRequest) => NextResponse.redirect(new URL('/login', request.url), 307), testOptions(memory));

    const response = await middleware(nextRequest('/account'), event);
    const [result] = await settled();

    expect(response.status).toBe(307);
    expect(response.headers.get('location')).toBe('http://localhost:3000/login');
    expect(cookieValue(response, 'wtstp_eid')).toMatch(/^\d{19}$/);
    expect(response.headers.get('x-middleware-set-cookie')).toBeNull();
    expect(result).toMatchObject({ ok: false, status: 'skipped', reason: 'status' });
    expect(memory.lines).toEqual([]);
  });

  it('copies a Response.redirect (immutable headers) to add the cookie', async () => {
    const { event } = fakeEvent();
    const middleware = withMappTracking(() => Response.redirect('https://shop.example.com/new-home', 308), testOptions());

    const response = await middleware(nextRequest('/old-home'), event);

    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('https://shop.example.com/new-home');
    expect(cookieValue(response, 'wtstp_eid')).toMatch(/^\d{19}$/);
  });

  it('continues with a cookie when the user middleware returns nothing', async () => {
    const memory = createMemoryTransport();
    const { event, settled } = fakeEvent();
    let called = 0;
    const middleware = withMappTracking(() => {
      called++;
    }, testOptions(memory));

    const response = await middleware(nextRequest('/'), event);
    await settled();

    expect(called).toBe(1);
    expect(response.headers.get('x-middleware-next')).toBe('1');
    expect(cookieValue(response, 'wtstp_eid')).toMatch(/^\d{19}$/);
    expect(memory.lines).toHaveLength(1);
  });

  it("keeps the user's headers, cookies and request-header overrides", async () => {
    const { event } = fakeEvent();
    const middleware = withMappTracking(async (request: NextRequest) => {
      const headers = new Headers(request.headers);
      headers.set('x-user', 'jane');
      const response = NextResponse.next({ request: { headers } });
      response.headers.set('x-frame-options', 'DENY');
      response.cookies.set('session', 'abc');
      return response;
    }, testOptions());

    const response = await middleware(nextRequest('/'), event);

    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-middleware-request-x-user')).toBe('jane');
    expect(cookieValue(response, 'session')).toBe('abc');
    expect(cookieValue(response, 'wtstp_eid')).toMatch(/^\d{19}$/);
    expect(response.headers.get('x-middleware-set-cookie')).toMatch(/^session=abc; Path=\/,wtstp_eid=\d{19};/);
  });

  it('tracks the status of a response the middleware produced itself', async () => {
    const memory = createMemoryTransport();
    const { event, settled } = fakeEvent();
    const middleware = withMappTracking(
      () => new Response('<h1>Maintenance</h1>', { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } }),
      testOptions(memory),
    );
    const denied = withMappTracking(() => Response.json({ error: 'denied' }, { status: 401 }), testOptions(memory));

    await middleware(nextRequest('/maintenance'), event);
    await denied(nextRequest('/secret'), event);
    await settled();

    expect(memory.lines.map((line) => params(line).get('p')?.split(',')[1])).toEqual(['shop.example.com/maintenance']);
  });

  it("lets the user middleware's errors through untouched", async () => {
    const failure = new Error('auth backend down');
    const middleware = withMappTracking(() => {
      throw failure;
    }, testOptions());

    await expect(middleware(nextRequest('/'), fakeEvent().event)).rejects.toBe(failure);
  });

  it('shares one tracker with route handlers', async () => {
    const memory = createMemoryTransport();
    const mapp = createNextTracker(testOptions(memory));
    const { event, settled } = fakeEvent();
    const middleware = withMappTracking(undefined, { tracker: mapp });

    const response = await middleware(nextRequest('/'), event);
    await settled();

    expect(cookieValue(response, 'wtstp_eid')).toBe(params(memory.lines[0] ?? '').get('eid'));
  });
});

describe('the request method, passed on to the render', () => {
  // A page sees only `await headers()`; Next renders pages for HEAD and server-action POSTs too.
  it('tells a page rendering for a HEAD request its method, so its trackPageView sends nothing', async () => {
    const memory = createMemoryTransport();
    const mapp = createNextTracker(testOptions(memory));
    const response = await withMappTracking(undefined, { tracker: mapp, pageTracksItself: () => true })(nextRequest('/checkout/confirmation', {}, 'HEAD'), fakeEvent().event);
    expect(response.headers.get('x-middleware-override-headers')?.split(',')).toContain('x-mapp-s2s-method');
    expect(response.headers.get('x-middleware-request-x-mapp-s2s-method')).toBe('HEAD');
    // What Next hands the page: the request headers with the override applied.
    const pageHeaders = new Headers();
    for (const name of (response.headers.get('x-middleware-override-headers') ?? '').split(',')) {
      pageHeaders.set(name, response.headers.get(`x-middleware-request-${name}`) ?? '');
    }
    expect(pageHeaders.get('user-agent')).toBe(nextRequest('/').headers.get('user-agent'));
    const result = await mapp.trackPageView({ order: { id: 'A-1', value: 10 } }, { headers: pageHeaders, url: '/checkout/confirmation' });
    expect(result).toMatchObject({ ok: false, status: 'skipped', reason: 'method' });
    expect(memory.lines).toEqual([]);
  });

  it("merges with the user's own request-header override", async () => {
    const middleware = withMappTracking(
      (request: NextRequest) => {
        const headers = new Headers(request.headers);
        headers.set('x-tenant', 'blue');
        return NextResponse.next({ request: { headers } });
      },
      testOptions(createMemoryTransport()),
    );
    const response = await middleware(nextRequest('/form', {}, 'POST'), fakeEvent().event);
    const names = response.headers.get('x-middleware-override-headers')?.split(',') ?? [];
    expect(names).toEqual(expect.arrayContaining(['x-tenant', 'x-mapp-s2s-method']));
    expect(response.headers.get('x-middleware-request-x-tenant')).toBe('blue');
    expect(response.headers.get('x-middleware-request-x-mapp-s2s-method')).toBe('POST');
  });

  it("never lets a client's own x-mapp-s2s-method reach the page, and leaves plain GETs untouched", async () => {
    const tracking = withMappTracking(undefined, testOptions(createMemoryTransport()));
    const spoofed = await tracking(nextRequest('/', { 'x-mapp-s2s-method': 'HEAD' }), fakeEvent().event);
    expect(spoofed.headers.get('x-middleware-override-headers')?.split(',')).not.toContain('x-mapp-s2s-method');
    expect(spoofed.headers.get('x-middleware-request-x-mapp-s2s-method')).toBeNull();
    const plain = await tracking(nextRequest('/'), fakeEvent().event);
    expect(plain.headers.get('x-middleware-override-headers')).toBeNull();
  });
});
