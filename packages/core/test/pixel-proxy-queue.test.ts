import { describe, expect, it } from '@jest/globals';
import { cutText, MAX_LINE_BYTES, MAX_PIXEL_LINE_CHARS, MAX_SEND_LINE_CHARS } from '../src/encode.js';
import { CHROME_UA, PAGE, PIXEL_QUERY, TRACK_ID, lineParams, longPageParameters, pixelRequest, queueProxy } from './pixel-helpers.js';

const GIF_BASE64 = 'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';

describe('pixel proxy, queue mode', () => {
  it('answers the 43-byte GIF at once and queues the query verbatim with the server client information', async () => {
    const { proxy, memory } = queueProxy();
    const response = await proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`), { remoteAddress: '203.0.113.9' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(response.headers.get('content-length')).toBe('43');
    expect(response.headers.get('cache-control')).toContain('no-store');
    const body = new Uint8Array(await response.arrayBuffer());
    expect(Buffer.from(body).toString('base64')).toBe(GIF_BASE64);
    const [hit] = await memory.waitForHits(1);
    const withoutEnd = PIXEL_QUERY.replace(/&eor=1$/, '');
    expect(hit?.line).toBe(
      `wt?${withoutEnd}&X-WT-IP=203.0.113.9&X-WT-UA=${encodeURIComponent(CHROME_UA)}&X-WT-RQ=${encodeURIComponent(PAGE)}&eor=1`,
    );
  });

  it('replaces every browser-sent X-WT value with its own', async () => {
    const { proxy, memory, events } = queueProxy();
    const spoofed = `${PIXEL_QUERY.replace(/&eor=1$/, '')}&X-WT-IP=6.6.6.6&x-wt-ua=evil&X%2DWT%2DRQ=https%3A%2F%2Fevil&X-WT-SEC-CH-UA-PLATFORM=%22Evil%22&X%252DWT%252DIP=6.6.6.7&eor=1`;
    await proxy(
      pixelRequest(`/mapp/pixel?${spoofed}`, { headers: { 'x-wt-ip': '6.6.6.8', 'x-forwarded-for': '6.6.6.9', 'sec-ch-ua-platform': '"Linux"' } }),
      { remoteAddress: '203.0.113.9' },
    );
    const [hit] = await memory.waitForHits(1);
    const { params, names } = lineParams(hit?.line ?? '');
    expect(params.get('X-WT-IP')).toBe('203.0.113.9');
    expect(params.get('X-WT-UA')).toBe(CHROME_UA);
    expect(params.get('X-WT-RQ')).toBe(PAGE);
    expect(params.get('X-WT-SEC-CH-UA-PLATFORM')).toBe('"Linux"');
    expect(names.filter((name) => /x.?wt/i.test(decodeURIComponent(decodeURIComponent(name))))).toEqual([
      'X-WT-IP', 'X-WT-UA', 'X-WT-RQ', 'X-WT-SEC-CH-UA-PLATFORM',
    ]);
    expect(hit?.line).not.toMatch(/6\.6\.6|evil|Evil/);
    expect(events).toContainEqual({ type: 'spoof-removed', pairs: 5 });
  });

  it('takes the client IP from a trusted proxy only', async () => {
    const trusted = queueProxy({ trustProxy: 'loopback' });
    await trusted.proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`, { headers: { 'x-forwarded-for': '198.51.100.7' } }), { remoteAddress: '127.0.0.1' });
    expect(lineParams((await trusted.memory.waitForHits(1))[0]?.line ?? '').params.get('X-WT-IP')).toBe('198.51.100.7');

    const untrusted = queueProxy({ trustProxy: 'loopback' });
    await untrusted.proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`, { headers: { 'x-forwarded-for': '198.51.100.7' } }), { remoteAddress: '203.0.113.9' });
    expect(lineParams((await untrusted.memory.waitForHits(1))[0]?.line ?? '').params.get('X-WT-IP')).toBe('203.0.113.9');

    const anonymized = queueProxy({ anonymizeIp: true });
    await anonymized.proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`), { remoteAddress: '203.0.113.9' });
    expect(lineParams((await anonymized.memory.waitForHits(1))[0]?.line ?? '').params.get('X-WT-IP')).toBe('203.0.113.0');
  });

  it('accepts the track-domain form and beacons of ?query and wt?query lines', async () => {
    const { proxy, memory } = queueProxy();
    const single = await proxy(pixelRequest(`/mapp/pixel/${TRACK_ID}/wt?${PIXEL_QUERY}`), { remoteAddress: '203.0.113.9' });
    expect(single.status).toBe(200);
    const beacon = await proxy(
      pixelRequest(`/mapp/pixel/${TRACK_ID}/batch`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: `?p=600,one&ct=a\r\nwt?p=600,two&X-WT-IP=6.6.6.6\n`,
      }),
      { remoteAddress: '203.0.113.9' },
    );
    expect(beacon.status).toBe(204);
    expect(await beacon.text()).toBe('');
    const hits = await memory.waitForHits(3);
    expect(hits.map((hit) => hit.line.split('&X-WT-IP=')[0])).toEqual([`wt?${PIXEL_QUERY.replace(/&eor=1$/, '')}`, 'wt?p=600,one&ct=a', 'wt?p=600,two']);
    expect(hits.every((hit) => lineParams(hit.line).params.get('X-WT-IP') === '203.0.113.9')).toBe(true);
  });

  it('keeps the pixel eid, else adds the cookie eid, and mints one only in server-cookie mode', async () => {
    const pixelEid = '2157840760747614879';
    const cookieEid = '2999999999999999999';
    const { proxy, memory } = queueProxy();
    await proxy(pixelRequest(`/mapp/pixel?p=600,a&eid=${pixelEid}`, { headers: { cookie: `wtstp_eid=${cookieEid}` } }));
    await proxy(pixelRequest('/mapp/pixel?p=600,b', { headers: { cookie: `wtstp_eid=${cookieEid}` } }));
    const plain = await proxy(pixelRequest('/mapp/pixel?p=600,c'));
    const lines = (await memory.waitForHits(3)).map((hit) => lineParams(hit.line).params);
    expect(lines.map((params) => params.get('eid'))).toEqual([pixelEid, cookieEid, undefined]);
    expect(plain.headers.get('set-cookie')).toBeNull();

    const server = queueProxy({ serverCookie: true });
    const minted = await server.proxy(pixelRequest('/mapp/pixel?p=600,d'));
    const [hit] = await server.memory.waitForHits(1);
    const params = lineParams(hit?.line ?? '').params;
    expect(params.get('eid')).toMatch(/^8\d{18}$/);
    expect(params.get('one')).toBe('1');
    expect(hit?.key).toBe(params.get('eid'));
    expect(minted.headers.get('set-cookie')).toMatch(new RegExp(`^wtstp_eid=${params.get('eid') ?? 'x'}; Max-Age=15552000; Path=/; Secure; SameSite=Lax$`));
  });

  it('follows the consent callback: none sends nothing, anonymous strips the eid', async () => {
    const { proxy, memory, events } = queueProxy({
      consent: (ctx) => (ctx.cookies.consent === 'no' ? 'none' : ctx.cookies.consent === 'anon' ? 'anonymous' : 'full'),
    });
    const refused = await proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`, { headers: { cookie: 'consent=no' } }));
    expect(refused.status).toBe(200);
    expect(refused.headers.get('content-type')).toBe('image/gif');
    expect(events).toContainEqual({ type: 'skipped', reason: 'consent', lines: 1 });
    await proxy(pixelRequest('/mapp/pixel?p=600,anon&eid=2157840760747614879', { headers: { cookie: 'consent=anon' } }));
    await proxy(pixelRequest('/mapp/pixel?p=600,full&eid=2157840760747614879', { headers: { cookie: 'consent=yes' } }));
    const hits = await memory.waitForHits(2);
    expect(memory.hits).toHaveLength(2);
    expect(hits.map((hit) => [lineParams(hit.line).params.get('nc'), lineParams(hit.line).params.get('eid')])).toEqual([
      ['1', undefined],
      [undefined, '2157840760747614879'],
    ]);
  });

  it('reports an opt-out cookie as opt-out', async () => {
    const { proxy, memory, events } = queueProxy();
    await proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`, { headers: { cookie: 'webtrekkOptOut=1' } }));
    expect(events).toContainEqual({ type: 'skipped', reason: 'opt-out', lines: 1 });
    expect(memory.hits).toHaveLength(0);
  });

  it('sends anonymous hits with nc=1 and without any eid or cookie', async () => {
    const { proxy, memory } = queueProxy({ serverCookie: true });
    const response = await proxy(
      pixelRequest('/mapp/pixel?p=600,a&eid=2157840760747614879&X-WT-EID=2157840760747614879&cp1=x', {
        headers: { cookie: 'miCookieOptOut=1; wtstp_eid=2999999999999999999' },
      }),
    );
    const [hit] = await memory.waitForHits(1);
    const { params } = lineParams(hit?.line ?? '');
    expect(params.get('nc')).toBe('1');
    expect(params.has('eid')).toBe(false);
    expect(params.has('X-WT-EID')).toBe(false);
    expect(params.get('cp1')).toBe('x');
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('respects a pixel already in anonymous mode', async () => {
    const { proxy, memory } = queueProxy({ serverCookie: true });
    await proxy(pixelRequest('/mapp/pixel?p=600,a&nc=1', { headers: { cookie: 'wtstp_eid=2999999999999999999' } }));
    const [hit] = await memory.waitForHits(1);
    expect(hit?.line).toMatch(/^wt\?p=600,a&nc=1&X-WT-UA=/);
    expect(lineParams(hit?.line ?? '').params.has('eid')).toBe(false);
  });

  it('drops pixel hits the server tracks itself (droppedRequests + blacklist)', async () => {
    const { proxy, memory, events } = queueProxy({ droppedRequests: 1, blacklist: ['*checkout*'] });
    const order = await proxy(pixelRequest('/mapp/pixel?p=600,shop%2Fcheckout%2Fdone&ov=19.99&oi=A1'));
    expect(order.headers.get('content-type')).toBe('image/gif');
    await proxy(pixelRequest('/mapp/pixel?p=600,shop%2Faccount&ov=5&oi=A2'));
    const [hit] = await memory.waitForHits(1);
    expect(hit?.line).toMatch(/^wt\?p=600,shop%2Faccount&ov=5&oi=A2&/);
    expect(memory.hits).toHaveLength(1);
    expect(events).toContainEqual({ type: 'skipped', reason: 'dropped-requests', lines: 1 });
  });

  it('forwards client hints unless turned off', async () => {
    const headers = { 'sec-ch-ua': '"Chromium";v="131"', 'sec-ch-ua-mobile': '?0', 'sec-ch-ua-platform': '"Linux"' };
    const on = queueProxy();
    await on.proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`, { headers }));
    const params = lineParams((await on.memory.waitForHits(1))[0]?.line ?? '').params;
    expect(params.get('X-WT-SEC-CH-UA')).toBe('"Chromium";v="131"');
    expect(params.get('X-WT-SEC-CH-UA-MOBILE')).toBe('?0');
    const off = queueProxy({ clientHints: false });
    await off.proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`, { headers }));
    expect((await off.memory.waitForHits(1))[0]?.line).not.toContain('SEC-CH');
  });

  it('answers HEAD with the GIF headers and sends nothing', async () => {
    const { proxy, memory } = queueProxy();
    const response = await proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`, { method: 'HEAD' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('43');
    expect(memory.hits).toHaveLength(0);
  });

  it('hands a 10 KB pixel hit to the transport whole, with the server pairs, instead of dropping it', async () => {
    const { proxy, memory, events } = queueProxy();
    const query = `${PIXEL_QUERY.replace(/&eor=1$/, '')}&${longPageParameters(10 * 1024)}&eor=1`;
    const response = await proxy(pixelRequest(`/mapp/pixel?${query}`), { remoteAddress: '203.0.113.9' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    const [hit] = await memory.waitForHits(1);
    expect(hit?.line.length).toBeGreaterThan(MAX_LINE_BYTES);
    expect(hit?.line).toBe(
      `wt?${query.replace(/&eor=1$/, '')}&X-WT-IP=203.0.113.9&X-WT-UA=${encodeURIComponent(CHROME_UA)}&X-WT-RQ=${encodeURIComponent(PAGE)}&eor=1`,
    );
    expect(events.filter((event) => event.type === 'skipped')).toEqual([]);
    expect(events).toContainEqual({ type: 'queued', result: expect.objectContaining({ ok: true }) });
  });

  it('takes a query of exactly the pixel’s 30,720 characters; the tracker takes the line with our pairs', async () => {
    const { proxy, memory } = queueProxy();
    const head = 'p=600,edge&cp1=';
    const query = head + 'x'.repeat(MAX_PIXEL_LINE_CHARS - head.length);
    expect(query.length).toBe(MAX_PIXEL_LINE_CHARS);
    await proxy(pixelRequest(`/mapp/pixel?${query}`), { remoteAddress: '203.0.113.9' });
    const [hit] = await memory.waitForHits(1);
    expect(hit?.line.startsWith(`wt?${query}&X-WT-IP=203.0.113.9&X-WT-UA=`)).toBe(true);
  });

  it('sends less of its own client information rather than drop a hit when the headers are huge', async () => {
    const { proxy, memory } = queueProxy();
    const head = 'p=600,edge&cp1=';
    const query = head + 'x'.repeat(MAX_PIXEL_LINE_CHARS - head.length);
    const huge = { 'user-agent': `Mozilla/5.0 ${'ü'.repeat(2000)}`, referer: `https://shop.example.com/?q=${'y'.repeat(6000)}` };
    await proxy(pixelRequest(`/mapp/pixel?${query}`, { headers: huge }), { remoteAddress: '203.0.113.9' });
    const [hit] = await memory.waitForHits(1);
    const { params } = lineParams(hit?.line ?? '');
    expect(hit?.line.length).toBeLessThanOrEqual(MAX_SEND_LINE_CHARS);
    expect(params.get('cp1')).toBe(query.slice(head.length));
    expect(params.get('X-WT-IP')).toBe('203.0.113.9');
    expect(params.get('X-WT-UA')).toBe(cutText(huge['user-agent']));
    expect(params.has('X-WT-RQ')).toBe(false);
  });

  it('answers a query longer than the pixel ever sends as usual, reports it and sends nothing', async () => {
    const { proxy, memory, events } = queueProxy();
    const response = await proxy(pixelRequest(`/mapp/pixel?p=600,x&cp1=${'a'.repeat(MAX_PIXEL_LINE_CHARS)}`), { remoteAddress: '203.0.113.9' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(events).toEqual([{ type: 'skipped', reason: 'too-large', lines: 1 }]);
    expect(memory.hits).toHaveLength(0);
  });

  it('skips only the over-long line of a beacon and queues the rest', async () => {
    const { proxy, memory, events } = queueProxy();
    const body = `?p=600,short\n?p=600,long&cp1=${'a'.repeat(MAX_PIXEL_LINE_CHARS)}\n?p=600,ten-kb&cp1=${'b'.repeat(10 * 1024)}`;
    const response = await proxy(
      pixelRequest(`/mapp/pixel/${TRACK_ID}/batch`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body }),
      { remoteAddress: '203.0.113.9' },
    );
    expect(response.status).toBe(204);
    const hits = await memory.waitForHits(2);
    expect(hits.map((hit) => lineParams(hit.line).params.get('p'))).toEqual(['600,short', '600,ten-kb']);
    expect(events).toContainEqual({ type: 'skipped', reason: 'too-large', lines: 1 });
  });

  it('hands the queued send to waitUntil', async () => {
    const { proxy, memory } = queueProxy();
    const pending: Array<Promise<unknown>> = [];
    await proxy(pixelRequest(`/mapp/pixel?${PIXEL_QUERY}`), { waitUntil: (promise) => pending.push(promise) });
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    expect(memory.hits).toHaveLength(1);
  });
});
