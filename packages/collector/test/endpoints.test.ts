import { request } from 'node:http';
import { deflateSync, gzipSync } from 'node:zlib';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MAX_BATCH_BYTES, MAX_BATCH_LINES, TRACKING_GIF, startCollector } from '../src/index.js';
import type { Collector } from '../src/index.js';
import { EVENT, ORDER, PAGE_VIEW } from './sample-lines.js';

const TRACK = '123451234512345';
const OTHER = '999990000011111';

/** Sends raw bytes over TCP and resolves with the whole answer (the socket is closed by us or the server). */
function rawRequest(url: string, text: string | Buffer): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(text));
    let out = '';
    socket.on('data', (chunk) => (out += chunk.toString('latin1')));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

/** A batch body of exactly `size` bytes: one page view, then a blank line of spaces (skipped, so cheap). */
function batchOfSize(size: number): Buffer {
  const body = Buffer.alloc(size, 0x20);
  body.write(`${PAGE_VIEW}\n`);
  return body;
}

describe('tracking endpoints', () => {
  let collector: Collector;
  beforeEach(async () => {
    collector = await startCollector();
  });
  afterEach(async () => {
    await collector.close();
  });

  it('answers GET /<trackId>/wt with the 43-byte GIF and stores the hit', async () => {
    const query = PAGE_VIEW.slice(3);
    const res = await fetch(`${collector.url}/${TRACK}/wt?${query}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('content-length')).toBe('43');
    expect(res.headers.get('cache-control')).toContain('no-cache');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(TRACKING_GIF);
    expect(TRACKING_GIF.length).toBe(43);
    const [hit] = collector.hits();
    expect(hit).toMatchObject({ id: 1, via: 'wt', trackId: TRACK, raw: PAGE_VIEW, type: 'page', clientAddress: '127.0.0.1', problems: [] });
    expect(hit!.p[1]).toBe('shop.example.com/');
    expect(hit!.params['eid']).toBe('8176420160012345678');
    expect(collector.requestCount()).toBe(1);
  });

  it('stores every line of a batch, tolerating CRLF, blank lines and the beacon form', async () => {
    const body = `${PAGE_VIEW}\r\n${EVENT}\n\n?${ORDER.slice(3)}\n`;
    const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const hits = collector.hits();
    expect(hits.map((h) => h.type)).toEqual(['page', 'event', 'order']);
    expect(hits.map((h) => h.via)).toEqual(['batch', 'batch', 'batch']);
    expect(hits[2]!.raw).toBe(ORDER);
    expect(hits.every((h) => h.problems.length === 0)).toBe(true);
  });

  it('accepts a gzip-compressed batch, and answers 400 to a corrupt one', async () => {
    const body = gzipSync(`${PAGE_VIEW}\n${EVENT}`);
    const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body, headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(collector.hits().map((h) => h.type)).toEqual(['page', 'event']);
    const bad = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: 'not gzip', headers: { 'content-encoding': 'gzip' } });
    expect(bad.status).toBe(400);
  });

  it('records a hit into several accounts with a comma list of track ids', async () => {
    const res = await fetch(`${collector.url}/${TRACK},${OTHER}/wt?p=600,home,,,,,,0,,`);
    expect(res.status).toBe(200);
    expect(collector.hits()[0]!.trackId).toBe(`${TRACK},${OTHER}`);
  });

  it('stores the good lines of a batch that has bad ones', async () => {
    const body = [PAGE_VIEW, 'garbage %%% line', 'wt?p=600,x%E0%A4%A,,,,,,0,,', `wt?${'a'.repeat(20_000)}`, EVENT].join('\n');
    const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body });
    expect(res.status).toBe(200);
    const hits = collector.hits();
    expect(hits).toHaveLength(5);
    expect(hits[0]!.problems).toEqual([]);
    expect(hits[4]!.problems).toEqual([]);
    for (const bad of hits.slice(1, 4)) expect(bad.problems.length).toBeGreaterThan(0);
  });

  it('treats raw invalid UTF-8 bytes in a body as a problem, not a crash', async () => {
    const body = Buffer.concat([Buffer.from('wt?p=600,a'), Buffer.from([0xff, 0xfe]), Buffer.from(',,,,,,0,,\n'), Buffer.from(PAGE_VIEW)]);
    const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body });
    expect(res.status).toBe(200);
    const hits = collector.hits();
    expect(hits[0]!.problems).toEqual(expect.arrayContaining([expect.stringContaining('non-ASCII')]));
    expect(hits[1]!.problems).toEqual([]);
  });

  it('answers 413 to a body of 24 MiB or more and keeps serving', async () => {
    const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: Buffer.alloc(MAX_BATCH_BYTES + 1, 0x61) });
    expect(res.status).toBe(413);
    expect(collector.hits()).toHaveLength(0);
    const ok = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: PAGE_VIEW });
    expect(ok.status).toBe(200);
  });

  it('answers 413 to a body of exactly 24 MiB, as sent or after gzip decoding, and takes one byte less', async () => {
    const post = async (body: Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
    const exact = batchOfSize(MAX_BATCH_BYTES);
    expect(exact.length).toBe(25_165_824);

    const declared = await post(exact);
    expect(declared.status).toBe(413);
    expect(await declared.text()).toContain('25165824 bytes (24 MiB) or more');
    // Chunked, so no Content-Length announces the size: the count of bytes read decides.
    const slices = Array.from({ length: 24 }, (_, i) => exact.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024));
    const chunked = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = slices.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(next);
      },
    });
    expect((await post(chunked)).status).toBe(413);
    const gzipped = await post(gzipSync(exact), { 'content-encoding': 'gzip' });
    expect(gzipped.status).toBe(413);
    expect(await gzipped.text()).toContain('gzip-decoded batch body of 25165824 bytes (24 MiB) or more');
    expect(collector.hits()).toHaveLength(0);

    const under = batchOfSize(MAX_BATCH_BYTES - 1);
    expect((await post(under)).status).toBe(200);
    expect((await post(gzipSync(under), { 'content-encoding': 'gzip' })).status).toBe(200);
    expect(collector.requestCount()).toBe(5);
    expect(collector.hits().map((hit) => [hit.raw, hit.problems])).toEqual([
      [PAGE_VIEW, []],
      [PAGE_VIEW, []],
    ]);
  }, 30_000);

  it.each([['deflate'], ['br'], ['compress'], ['gzip, deflate'], ['zstd']])('answers 415 to a batch with Content-Encoding: %s, naming the supported ones, and stores nothing', async (encoding) => {
    const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: deflateSync(PAGE_VIEW), headers: { 'content-encoding': encoding } });
    expect(res.status).toBe(415);
    expect(await res.text()).toBe(`Content-Encoding "${encoding}" is not supported: send the batch as gzip or identity (none)\n`);
    expect(collector.hits()).toHaveLength(0);
    const plain = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: PAGE_VIEW, headers: { 'content-encoding': 'identity' } });
    expect(plain.status).toBe(200);
    expect(collector.hits().map((hit) => hit.problems)).toEqual([[]]);
  });

  it('stores parameters named like Object.prototype properties, from a GET and a batch, and returns them from /api/hits', async () => {
    const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty'];
    const query = (tag: string): string => `p=600,proto-${tag},,,,,,0,,&${names.map((name) => `${name}=${tag}-${name}`).join('&')}`;
    expect((await fetch(`${collector.url}/${TRACK}/wt?${query('get')}`)).status).toBe(200);
    expect((await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: `wt?${query('batch')}\nwt?p=600,plain,,,,,,0,,` })).status).toBe(200);

    const expected = (tag: string): Record<string, string> => Object.fromEntries(names.map((name) => [name, `${tag}-${name}`]));
    const [get, batch, plain] = collector.hits();
    for (const [hit, tag] of [[get!, 'get'], [batch!, 'batch']] as const) {
      expect(hit.problems).toEqual([]);
      expect(Object.keys(hit.params)).toEqual(['p', ...names]);
      for (const name of names) expect(Object.hasOwn(hit.params, name) && hit.params[name]).toBe(`${tag}-${name}`);
    }
    expect(plain!.params['constructor']).toBeUndefined();

    const text = await (await fetch(`${collector.url}/api/hits?order=asc`)).text();
    expect(text).toContain('"__proto__":"get-__proto__"');
    const { hits } = JSON.parse(text) as { hits: Array<{ params: Record<string, string> }> };
    expect(hits.map((hit) => Object.keys(hit.params))).toEqual([['p', ...names], ['p', ...names], ['p']]);
    expect(Object.entries(hits[1]!.params).slice(1)).toEqual(Object.entries(expected('batch')));
  });

  it('numbers hits in the order it stored them, which for pipelined requests is the order they completed', async () => {
    const stored: number[] = [];
    collector.onHit((hit) => stored.push(hit.id));
    const body = [PAGE_VIEW, EVENT, ORDER].join('\n');
    // A batch and then a GET on one connection, in one write: the GET needs no body, so it may complete first.
    const answer = await rawRequest(
      collector.url,
      `POST /${TRACK}/batch HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` +
        `GET /${TRACK}/wt?p=600,pipelined,,,,,,0,, HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(answer.match(/^HTTP\/1\.1 200/gm)).toHaveLength(2);
    const hits = collector.hits();
    expect(hits.map((hit) => hit.id)).toEqual([1, 2, 3, 4]);
    // The ids are the storing order, whatever it was; a batch's lines keep their line order.
    expect(stored).toEqual([1, 2, 3, 4]);
    const batchIds = hits.filter((hit) => hit.via === 'batch').map((hit) => hit.id);
    expect(batchIds).toEqual([batchIds[0], batchIds[0]! + 1, batchIds[0]! + 2]);
    expect(hits.filter((hit) => hit.via === 'batch').map((hit) => hit.type)).toEqual(['page', 'event', 'order']);
    expect(hits.find((hit) => hit.via === 'wt')!.p[1]).toBe('pipelined');
  });

  it('answers 413 to a chunked body that grows past the cap', async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x61);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 30) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
  });

  it(`answers 413 to more than ${MAX_BATCH_LINES} lines`, async () => {
    const body = Array.from({ length: MAX_BATCH_LINES + 1 }, () => 'wt?p=600').join('\n');
    const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body });
    expect(res.status).toBe(413);
    expect(collector.hits()).toHaveLength(0);
  });

  it('answers 404 to malformed track ids', async () => {
    for (const id of ['12345', '1234512345123456', 'abcdeabcdeabcde', `${TRACK},`, `${TRACK},,${OTHER}`]) {
      const res = await fetch(`${collector.url}/${id}/wt?p=600`);
      expect(res.status).toBe(404);
    }
    expect(collector.hits()).toHaveLength(0);
  });

  it('answers 405 with Allow to other methods, and HEAD/OPTIONS sensibly', async () => {
    const put = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST, OPTIONS');
    const getBatch = await fetch(`${collector.url}/${TRACK}/batch`);
    expect(getBatch.status).toBe(405);
    const head = await fetch(`${collector.url}/${TRACK}/wt?p=600`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('image/gif');
    const options = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('POST, OPTIONS');
    expect(collector.hits()).toHaveLength(0);
  });

  it('answers 404 to unknown paths, garbage and all', async () => {
    for (const path of ['/nope', `/${TRACK}`, `/${TRACK}/wt/x`, '/%zz/wt', '/%E0%A4%A/batch', `//${TRACK}/wt`]) {
      const res = await fetch(`${collector.url}${path}`, { redirect: 'manual' });
      expect([404, 405]).toContain(res.status);
    }
  });

  it('survives malformed HTTP and keeps serving', async () => {
    const answer = await rawRequest(collector.url, 'GET /\x00bad HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    await rawRequest(collector.url, Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01]));
    await rawRequest(collector.url, `POST /${TRACK}/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n${PAGE_VIEW}`);
    const res = await fetch(`${collector.url}/${TRACK}/wt?p=600,ok,,,,,,0,,`);
    expect(res.status).toBe(200);
    expect(collector.hits().map((h) => h.p[1])).toEqual(['ok']);
  });

  it('takes a GET as long as the Smart Pixel sends plus a server’s client information, without a problem; 431 beyond 64 KiB', async () => {
    const head = 'p=600,long,,,,,,0,,&pu=';
    const long = `${head}${'x'.repeat(30_720 - head.length)}&X-WT-IP=203.0.113.9&X-WT-UA=${'u'.repeat(4000)}`;
    expect((await fetch(`${collector.url}/${TRACK}/wt?${long}`)).status).toBe(200);
    expect(collector.hits()[0]!.raw).toBe(`wt?${long}`);
    expect(collector.hits()[0]!.problems).toEqual([]);
    expect((await fetch(`${collector.url}/${TRACK}/wt?${long}${'y'.repeat(100)}`)).status).toBe(200);
    expect(collector.hits()[1]!.problems).toEqual([expect.stringContaining('over the 34819-byte limit of a single GET')]);
    expect((await fetch(`${collector.url}/${TRACK}/wt?${'y'.repeat(70_000)}`)).status).toBe(431);
    expect((await fetch(`${collector.url}/${TRACK}/wt?p=600,ok,,,,,,0,,`)).status).toBe(200);
  });

  it('keeps raw query bytes that fetch would normalise', async () => {
    const path = `/${TRACK}/wt?p=600,a%ZZb,,,,,,0,,&cp1=%C3%28`;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${collector.url}${path}`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    const [hit] = collector.hits();
    expect(hit!.raw).toBe(`wt?p=600,a%ZZb,,,,,,0,,&cp1=%C3%28`);
    expect(hit!.problems).toEqual(expect.arrayContaining(['p: invalid percent-encoding', 'cp1: percent-encoded bytes are not valid UTF-8']));
  });
});

describe('accepted track ids', () => {
  it('answers 404 to ids outside the list, for GET and POST', async () => {
    const collector = await startCollector({ trackIds: [TRACK] });
    try {
      expect((await fetch(`${collector.url}/${OTHER}/wt?p=600`)).status).toBe(404);
      expect((await fetch(`${collector.url}/${OTHER}/batch`, { method: 'POST', body: PAGE_VIEW })).status).toBe(404);
      expect((await fetch(`${collector.url}/${TRACK},${OTHER}/wt?p=600`)).status).toBe(404);
      expect((await fetch(`${collector.url}/${TRACK}/wt?p=600`)).status).toBe(200);
      expect(collector.hits()).toHaveLength(1);
    } finally {
      await collector.close();
    }
  });

  it('counts the answered 404s of unknown track ids in requestCount(), but not HEAD or OPTIONS', async () => {
    const collector = await startCollector({ trackIds: [TRACK] });
    try {
      expect((await fetch(`${collector.url}/${OTHER}/wt?p=600`)).status).toBe(404);
      expect((await fetch(`${collector.url}/${OTHER}/batch`, { method: 'POST', body: PAGE_VIEW })).status).toBe(404);
      expect((await fetch(`${collector.url}/${TRACK}/wt?p=600`, { method: 'HEAD' })).status).toBe(200);
      expect((await fetch(`${collector.url}/${TRACK}/batch`, { method: 'OPTIONS' })).status).toBe(204);
      expect((await fetch(`${collector.url}/${TRACK}/wt?p=600`)).status).toBe(200);
      expect(collector.requestCount()).toBe(3);
      expect(collector.hits()).toHaveLength(1);
    } finally {
      await collector.close();
    }
  });

  it('rejects a malformed id at start', async () => {
    await expect(startCollector({ trackIds: ['123'] })).rejects.toThrow('trackIds must be 15-digit ids, got "123"');
  });
});

describe('who sent each hit (client parsing)', () => {
  let collector: Collector;
  beforeEach(async () => {
    collector = await startCollector();
  });
  afterEach(async () => {
    await collector.close();
  });

  const WINDOWS_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
  const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

  it('returns browser, OS and device type per hit from /api/hits, with the client hints of the hit', async () => {
    const hints = `&X-WT-SEC-CH-UA-FULL-VERSION-LIST=${encodeURIComponent('"Chromium";v="124.0.6367.91", "Google Chrome";v="124.0.6367.91", "Not-A.Brand";v="99.0.0.0"')}&X-WT-SEC-CH-UA-PLATFORM=${encodeURIComponent('"Windows"')}&X-WT-SEC-CH-UA-PLATFORM-VERSION=${encodeURIComponent('"15.0.0"')}&X-WT-SEC-CH-UA-MOBILE=%3F0`;
    const lines = [
      `wt?p=600,desk,,,,,,0,,&X-WT-UA=${encodeURIComponent(WINDOWS_CHROME)}${hints}`,
      `wt?p=600,phone,,,,,,0,,&X-WT-UA=${encodeURIComponent(IPHONE)}`,
      'wt?p=600,nobody,,,,,,0,,',
    ];
    const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: lines.join('\n'), headers: { 'user-agent': 'mapp-s2s/0.1.0' } });
    expect(res.status).toBe(200);
    const { hits } = (await (await fetch(`${collector.url}/api/hits?order=asc`)).json()) as { hits: Array<{ p: string[]; client: unknown }> };
    expect(hits.map((hit) => [hit.p[1], hit.client])).toEqual([
      ['desk', { browser: 'Chrome', browserVersion: '124.0.6367.91', os: 'Windows', osVersion: '11', device: 'desktop', source: 'hit' }],
      ['phone', { browser: 'Mobile Safari', browserVersion: '17.4', os: 'iOS', osVersion: '17.4', device: 'mobile', model: 'iPhone', source: 'hit' }],
      // No X-WT-UA: Mapp reads the carrying request, here a server's, which is no browser.
      ['nobody', { device: 'unknown', source: 'request' }],
    ]);
  });

  it('reads a browser pixel GET that names no X-WT-UA from its own User-Agent header', async () => {
    await fetch(`${collector.url}/${TRACK}/wt?p=600,pixel,,,,,,0,,`, { headers: { 'user-agent': IPHONE } });
    expect(collector.hits()[0]!.client).toMatchObject({ browser: 'Mobile Safari', device: 'mobile', source: 'request' });
  });

  it('counts the X-WT-UA, X-WT-IP and X-WT-RQ headers of a GET as those parameters; a header wins over its parameter', async () => {
    const query = `p=600,headers,,,,,,0,,&X-WT-IP=198.51.100.1&X-WT-UA=${encodeURIComponent(WINDOWS_CHROME)}`;
    const headers = { 'x-wt-ip': '203.0.113.9', 'x-wt-ua': IPHONE, 'x-wt-rq': 'https://shop.example.com/a?b=1', 'user-agent': 'curl/8.5.0' };
    expect((await fetch(`${collector.url}/${TRACK}/wt?${query}`, { headers })).status).toBe(200);
    const [hit] = collector.hits();
    expect(hit!.problems).toEqual([]);
    expect(hit!.raw).toBe(`wt?${query}`);
    expect(hit!.params).toEqual(expect.objectContaining({ 'X-WT-IP': '203.0.113.9', 'X-WT-UA': IPHONE, 'X-WT-RQ': 'https://shop.example.com/a?b=1' }));
    expect(hit!.client).toMatchObject({ browser: 'Mobile Safari', device: 'mobile', source: 'hit' });
    const api = (await (await fetch(`${collector.url}/api/hits`)).json()) as { hits: Array<{ params: Record<string, string> }> };
    expect(api.hits[0]!.params['X-WT-IP']).toBe('203.0.113.9');
  });

  it('validates the X-WT-IP header of a GET like the parameter: one strictly parsed IP', async () => {
    await fetch(`${collector.url}/${TRACK}/wt?p=600,zone,,,,,,0,,`, { headers: { 'x-wt-ip': 'fe80::1%eth0' } });
    await fetch(`${collector.url}/${TRACK}/wt?p=600,two,,,,,,0,,&X-WT-IP=192.0.2.1`, { headers: { 'x-wt-ip': '192.0.2.1, 192.0.2.2' } });
    await fetch(`${collector.url}/${TRACK}/wt?p=600,v6,,,,,,0,,`, { headers: { 'x-wt-ip': '2001:db8::1' } });
    expect(collector.hits().map((hit) => [hit.p[1], hit.problems])).toEqual([
      ['zone', ['X-WT-IP: "fe80::1%eth0" (request header) is not one valid IP address']],
      ['two', ['X-WT-IP: "192.0.2.1, 192.0.2.2" (request header) is not one valid IP address']],
      ['v6', []],
    ]);
  });

  it('does not apply X-WT-* headers of a batch POST to its lines, which carry their own', async () => {
    const lines = ['wt?p=600,bare,,,,,,0,,', `wt?p=600,own,,,,,,0,,&X-WT-IP=198.51.100.1&X-WT-UA=${encodeURIComponent(WINDOWS_CHROME)}`];
    const headers = { 'x-wt-ip': '203.0.113.9', 'x-wt-ua': IPHONE, 'x-wt-rq': 'https://shop.example.com/', 'user-agent': 'curl/8.5.0' };
    expect((await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: lines.join('\n'), headers })).status).toBe(200);
    const [bare, own] = collector.hits();
    expect(Object.keys(bare!.params)).toEqual(['p']);
    expect(bare!.client).toEqual({ device: 'unknown', source: 'request' });
    expect(own!.params).toEqual(expect.objectContaining({ 'X-WT-IP': '198.51.100.1', 'X-WT-UA': WINDOWS_CHROME }));
    expect(own!.params['X-WT-RQ']).toBeUndefined();
    expect(own!.client).toMatchObject({ browser: 'Chrome', source: 'hit' });
  });

  it('counts hits by browser, OS and device type in the stats', async () => {
    const line = (name: string, ua: string): string => `wt?p=600,${name},,,,,,0,,&X-WT-UA=${encodeURIComponent(ua)}`;
    await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: [line('a', IPHONE), line('b', IPHONE), line('c', WINDOWS_CHROME), 'wt?p=600,d,,,,,,0,,'].join('\n'), headers: { 'user-agent': 'curl/8.5.0' } });
    const stats = (await (await fetch(`${collector.url}/api/stats`)).json()) as { clients: Record<string, unknown> };
    expect(stats.clients).toEqual({
      browser: [{ name: 'Mobile Safari', count: 2 }, { name: 'Chrome', count: 1 }, { name: 'Unknown', count: 1 }],
      os: [{ name: 'iOS', count: 2 }, { name: 'Unknown', count: 1 }, { name: 'Windows', count: 1 }],
      device: [{ name: 'mobile', count: 2 }, { name: 'desktop', count: 1 }, { name: 'unknown', count: 1 }],
    });
  });
});
