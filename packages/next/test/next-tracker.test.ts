import { afterEach, describe, expect, it } from '@jest/globals';
import { createMemoryTransport } from '@mapp-s2s/core';
import { createNextTracker, mappTracking } from '@mapp-s2s/next';
import { NAVIGATION, TRACK_ID, cookieValue, fakeEvent, nextRequest, params, testOptions } from './helpers.js';

/** `headers()` as a page sees it after the middleware ran: Next forwards its cookies in `x-middleware-set-cookie`. */
function pageHeaders(extra: Record<string, string>): Headers {
  return new Headers({ ...NAVIGATION, ...extra });
}

describe('createNextTracker', () => {
  afterEach(() => {
    delete (globalThis as { EdgeRuntime?: string }).EdgeRuntime;
  });

  it("lets a page send its own page view with the visitor id the middleware just minted", async () => {
    const memory = createMemoryTransport();
    const mapp = createNextTracker(testOptions(memory));
    const middleware = mappTracking({ tracker: mapp, pageTracksItself: () => true });
    const response = await middleware(nextRequest('/checkout/confirmation?order=A-1'), fakeEvent().event);
    const minted = response.headers.get('x-middleware-set-cookie') ?? '';

    const result = await mapp.trackPageView(
      { order: { id: 'A-1', value: 32.25, currency: 'EUR' }, products: [{ id: 'teapot', cost: 32.25, quantity: 1 }], productStatus: 'conf' },
      { headers: pageHeaders({ 'x-middleware-set-cookie': minted }), url: '/checkout/confirmation?order=A-1' },
    );

    expect(result.ok).toBe(true);
    const hit = params(memory.lines[0] ?? '');
    expect(hit.get('eid')).toBe(cookieValue(response, 'wtstp_eid'));
    expect(hit.get('one')).toBe('1');
    expect([hit.get('oi'), hit.get('ov'), hit.get('ba'), hit.get('st')]).toEqual(['A-1', '32.25', 'teapot', 'conf']);
    expect(hit.get('pu')).toBe('http://shop.example.com/checkout/confirmation?order=A-1');
    expect(hit.get('X-WT-IP')).toBe('203.0.113.9');
  });

  it('sends backend events for the visitor of a route handler request', async () => {
    const memory = createMemoryTransport();
    const mapp = createNextTracker(testOptions(memory));
    const request = new Request('http://localhost:3000/api/newsletter', {
      method: 'POST',
      headers: { ...NAVIGATION, cookie: 'wtstp_eid=8170000000012345678', accept: 'application/json' },
    });

    const result = await mapp.trackEvent({ action: { name: 'newsletter-signup' } }, request);

    expect(result.ok).toBe(true);
    const hit = params(memory.lines[0] ?? '');
    expect([hit.get('ct'), hit.get('eid')]).toEqual(['newsletter-signup', '8170000000012345678']);
  });

  it('sends nothing for an opted-out visitor', async () => {
    const memory = createMemoryTransport();
    const mapp = createNextTracker(testOptions(memory));

    const result = await mapp.trackEvent({ action: { name: 'click' } }, { headers: pageHeaders({ cookie: 'webtrekkOptOut=1' }) });

    expect(result).toMatchObject({ ok: false, status: 'skipped', reason: 'opt-out' });
    expect(memory.lines).toEqual([]);
  });

  it('reads the environment at first use, not when created', async () => {
    const env: Record<string, string | undefined> = {};
    const memory = createMemoryTransport();
    const mapp = createNextTracker({ env, transport: memory });
    env['MAPP_TRACK_ID'] = TRACK_ID;
    env['MAPP_TRACK_DOMAIN'] = 'track.example.com';

    const result = await mapp.trackEvent({ action: { name: 'late-env' } }, { headers: pageHeaders({}) });

    expect(result.ok).toBe(true);
    expect(mapp.getTracker()).toBeDefined();
  });

  it('sends directly on the Edge runtime even when batch is configured', async () => {
    (globalThis as { EdgeRuntime?: string }).EdgeRuntime = 'edge-runtime';
    const requests: Array<{ method: string; url: string }> = [];
    const fakeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      requests.push({ method: init?.method ?? 'GET', url: String(input) });
      return new Response(null, { status: 200 });
    }) as typeof fetch;
    const warnings: unknown[] = [];
    const logger = { debug: () => undefined, warn: (message: unknown) => void warnings.push(message), error: () => undefined };
    const mapp = createNextTracker({ trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9', env: { MAPP_TRANSPORT: 'batch' }, fetch: fakeFetch, logger });

    const result = await mapp.trackEvent({ action: { name: 'edge' } }, { headers: pageHeaders({}) });

    expect(result).toMatchObject({ ok: true, status: 'sent' });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe('GET');
    expect(requests[0]?.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:9/${TRACK_ID}/wt\\?p=600,`));
    expect(String(warnings[0])).toContain('Edge runtime');
  });

  it('takes the right-most X-Forwarded-For entry as the peer and lets the core judge the rest', async () => {
    const memory = createMemoryTransport();
    const untrusted = createNextTracker({ ...testOptions(memory), trustProxy: false });
    const trusted = createNextTracker({ ...testOptions(memory), trustProxy: 'loopback' });
    const chain = { 'x-forwarded-for': '198.51.100.7, 127.0.0.1' };

    await untrusted.trackEvent({ action: { name: 'a' } }, { headers: pageHeaders(chain) });
    await trusted.trackEvent({ action: { name: 'b' } }, { headers: pageHeaders(chain) });

    expect(memory.lines.map((line) => params(line).get('X-WT-IP'))).toEqual(['127.0.0.1', '198.51.100.7']);
  });

  it('takes the connection scheme from the protocol option, so only a trusted proxy can say https', async () => {
    const memory = createMemoryTransport();
    const options = { ...testOptions(memory), protocol: () => 'http' as const };
    const untrusted = createNextTracker({ ...options, trustProxy: false });
    const trusted = createNextTracker({ ...options, trustProxy: true });
    // Next built request.url from the client's X-Forwarded-Proto.
    const request = { url: 'https://localhost:3000/cart', headers: pageHeaders({ 'x-forwarded-proto': 'https' }) };

    await untrusted.trackEvent({ action: { name: 'a' } }, request);
    await trusted.trackEvent({ action: { name: 'b' } }, request);

    expect(memory.lines.map((line) => params(line).get('pu'))).toEqual(['http://shop.example.com/cart', 'https://shop.example.com/cart']);
  });

  it('takes the client IP from the remoteAddress option when the platform provides one', async () => {
    const memory = createMemoryTransport();
    const mapp = createNextTracker({ ...testOptions(memory), remoteAddress: (request) => request.headers.get('x-real-ip') ?? undefined });

    await mapp.trackEvent({ action: { name: 'a' } }, { headers: pageHeaders({ 'x-real-ip': '192.0.2.44' }) });

    expect(params(memory.lines[0] ?? '').get('X-WT-IP')).toBe('192.0.2.44');
  });
});
