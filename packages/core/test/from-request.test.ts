import { describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromWebRequest } from '../src/from-web-request.js';
import { fromNodeRequest } from '../src/node/from-node-request.js';
import { connect } from 'node:net';
import { createMemoryTransport } from '../src/transport/memory.js';
import { createTracker } from '../src/tracker.js';
import type { RequestContext } from '../src/types.js';

describe('fromWebRequest', () => {
  it('builds a neutral context from a web Request', () => {
    const headers = new Headers({ 'User-Agent': 'UA', Accept: 'text/html', Cookie: 'a=1; b=%41; a=2', Authorization: 'Bearer x', 'Proxy-Authorization': 'y' });
    headers.append('X-Multi', 'one');
    headers.append('X-Multi', 'two');
    const ctx = fromWebRequest(new Request('https://shop.example.com/a%20b?x=1&y=%26', { method: 'get', headers }), { remoteAddress: '203.0.113.1', status: 200, contentType: 'text/html', durationMs: 5 });
    expect(ctx).toEqual({
      method: 'GET',
      url: 'https://shop.example.com/a%20b?x=1&y=%26',
      headers: { 'user-agent': 'UA', accept: 'text/html', 'x-multi': 'one, two' },
      cookies: { a: '1', b: '%41' },
      remoteAddress: '203.0.113.1',
      status: 200,
      contentType: 'text/html',
      durationMs: 5,
    });
  });

  it('accepts any HeadersLike and defaults the method to GET', () => {
    const map = new Map([['X-A', '1'], ['cookie', 'wtstp_eid=2138210064900146323']]);
    const ctx = fromWebRequest({ url: 'https://a.com/', headers: { forEach: (cb) => map.forEach((v, k) => cb(v, k)), get: (name) => map.get(name) ?? null } });
    expect(ctx.method).toBe('GET');
    expect(ctx.headers).toEqual({ 'x-a': '1' });
    expect(ctx.cookies).toEqual({ wtstp_eid: '2138210064900146323' });
  });
});

describe('fromNodeRequest (structural)', () => {
  it.each<[string, Parameters<typeof fromNodeRequest>[0], Partial<RequestContext>]>([
    [
      'an Express request under a mount point (originalUrl wins)',
      { method: 'GET', url: '/shoes', originalUrl: '/shop/shoes?x=1', headers: { host: 'Shop.example.com' }, socket: { remoteAddress: '::ffff:10.0.0.1' } },
      { url: 'http://Shop.example.com/shop/shoes?x=1', remoteAddress: '::ffff:10.0.0.1' },
    ],
    [
      'a TLS socket',
      { method: 'GET', url: '/', headers: { host: 'a.com' }, socket: { encrypted: true } },
      { url: 'https://a.com/' },
    ],
    [
      'HTTP/2 :authority without Host',
      { method: 'GET', url: '/x', headers: { ':authority': 'h2.example.com', ':path': '/x', ':method': 'GET' } },
      { url: 'http://h2.example.com/x', headers: {} },
    ],
    [
      'an absolute-form target: its path only, the rest kept for the core',
      { method: 'GET', url: 'http://proxy.example/x', headers: { host: 'other' } },
      { url: 'http://other/x', absoluteTarget: 'http://proxy.example/x' },
    ],
    [
      'an absolute-form https target on a plain connection',
      { method: 'GET', url: 'https://evil.example:8443/a/b?q=1', headers: { host: 'shop.example.com' }, socket: { encrypted: false } },
      { url: 'http://shop.example.com/a/b?q=1', absoluteTarget: 'https://evil.example:8443/a/b?q=1' },
    ],
    [
      'an absolute-form target in upper case, with userinfo',
      { method: 'GET', url: 'HTTPS://user:pw@Evil.example/x', headers: { host: 'shop.example.com' }, socket: { encrypted: true } },
      { url: 'https://shop.example.com/x', absoluteTarget: 'HTTPS://user:pw@Evil.example/x' },
    ],
    [
      'an absolute-form target without a path',
      { method: 'GET', url: 'http://evil.example?q=1', headers: { host: 'shop.example.com' } },
      { url: 'http://shop.example.com/?q=1', absoluteTarget: 'http://evil.example?q=1' },
    ],
    [
      'an origin-form target has no absoluteTarget',
      { method: 'GET', url: '/http://evil.example/x', headers: { host: 'shop.example.com' } },
      { url: 'http://shop.example.com/http://evil.example/x', absoluteTarget: undefined },
    ],
    [
      'no Host header (HTTP/1.0): the path and query alone, no invented host',
      { url: '/x?a=1', headers: {} },
      { method: 'GET', url: '/x?a=1' },
    ],
    [
      'an empty Host header',
      { url: '/x', headers: { host: '' } },
      { url: '/x' },
    ],
    [
      'a Host carrying a path and query: never pasted into the URL',
      { url: '/cart', headers: { host: 'a.example/%2e%2e/admin?x=' } },
      { url: '/cart' },
    ],
    [
      'a Host carrying a fragment',
      { url: '/products/sku-1', headers: { host: 'b.example#' } },
      { url: '/products/sku-1' },
    ],
    [
      'a Host carrying userinfo, a backslash or a space',
      { url: '/a', headers: { host: 'user@evil.example' } },
      { url: '/a' },
    ],
    [
      'a Host with a backslash',
      { url: '/a', headers: { host: 'evil.example\\x' } },
      { url: '/a' },
    ],
    [
      'a forged :authority on HTTP/2',
      { url: '/a', headers: { ':authority': 'evil.example/x?' } },
      { url: '/a' },
    ],
    [
      'a Host that is a name with a port, or non-ASCII: kept for the core to check',
      { url: '/a', headers: { host: 'bücher.example:8080' } },
      { url: 'http://bücher.example:8080/a' },
    ],
    [
      'a record whose keys meet once lower-cased, lower case first',
      { url: '/', headers: { host: 'a.com', 'x-a': '1', 'X-A': '2', Cookie: 'a=1', cookie: 'b=2' } },
      { headers: { host: 'a.com', 'x-a': '1, 2' }, cookies: { a: '1', b: '2' } },
    ],
    [
      'a record whose keys meet once lower-cased, mixed case first',
      { url: '/', headers: { Host: 'a.com', 'X-A': '1', 'x-a': '2' } },
      { url: 'http://a.com/', headers: { host: 'a.com', 'x-a': '1, 2' } },
    ],
    [
      'array values, undefined values, credentials and cookies',
      { method: 'post', url: '/', headers: { host: 'a.com', 'x-a': ['1', '2'], 'x-u': undefined, authorization: 'secret', cookie: ['a=1', 'b=2'] } },
      { method: 'POST', headers: { host: 'a.com', 'x-a': '1, 2' }, cookies: { a: '1', b: '2' } },
    ],
  ])('%s', (_label, req, expected) => {
    expect(fromNodeRequest(req)).toMatchObject(expected);
  });

  it('builds header and cookie records that inherit nothing, even from a polluted Object.prototype', () => {
    const polluted = Object.prototype as Record<string, unknown>;
    polluted['x-forwarded-for'] = '6.6.6.6';
    polluted['wtstp_eid'] = '6666666666666666666';
    try {
      const ctx = fromNodeRequest({ url: '/', headers: { host: 'a.com', constructor: 'c', __proto__: 'p', 'proxy-authorization': 'x', cookie: 'toString=t; a=1' } as never });
      expect(ctx.headers['x-forwarded-for']).toBeUndefined();
      expect(ctx.cookies['wtstp_eid']).toBeUndefined();
      expect(ctx.headers['constructor']).toBe('c');
      expect(ctx.headers['proxy-authorization']).toBeUndefined();
      expect(ctx.cookies['toString']).toBe('t');
      expect(fromNodeRequest({ url: '/', headers: {} }).cookies['hasOwnProperty']).toBeUndefined();
      expect(Object.keys(ctx.headers)).toEqual(['host', 'constructor']);
      expect(Object.keys(ctx.cookies)).toEqual(['toString', 'a']);
    } finally {
      delete polluted['x-forwarded-for'];
      delete polluted['wtstp_eid'];
    }
  });

  it('reads status and content type from the response', () => {
    const ctx = fromNodeRequest({ url: '/', headers: { host: 'a.com' } }, { statusCode: 404, getHeader: (name) => (name === 'content-type' ? ['text/html'] : undefined) });
    expect(ctx).toMatchObject({ status: 404, contentType: 'text/html' });
  });
});

describe('fromNodeRequest with a real http.IncomingMessage', () => {
  it('converts the request and, after finish, the response', async () => {
    const seen: RequestContext[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.on('finish', () => seen.push(fromNodeRequest(req, res)));
      res.end('<p>ok</p>');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/Page?q=%C3%A4', headers: { 'User-Agent': 'UA', Cookie: 'wtstp_eid=2138210064900146323', 'X-Forwarded-For': '1.2.3.4' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    response.resume();
    await once(response, 'end');
    const deadline = Date.now() + 2000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    server.close();
    expect(seen[0]).toMatchObject({
      method: 'GET',
      url: `http://127.0.0.1:${port}/Page?q=%C3%A4`,
      remoteAddress: '127.0.0.1',
      status: 200,
      contentType: 'text/html; charset=utf-8',
      cookies: { wtstp_eid: '2138210064900146323' },
      headers: expect.objectContaining({ 'user-agent': 'UA', 'x-forwarded-for': '1.2.3.4' }),
    });
    expect(seen[0]?.headers.cookie).toBeUndefined();
  });

  it('tracks no page view whose Host is forged, empty or missing, and never pastes a Host into the page name', async () => {
    const memory = createMemoryTransport();
    const tracker = createTracker({ trackId: '123451234512345', trackDomain: 'http://127.0.0.1:9', transport: memory, flushOnExit: false });
    const skipped: string[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const ctx = fromNodeRequest(req);
      // The hit is decided before the page is answered, so an answer means its result is in.
      void Promise.resolve(tracker.begin(ctx)).then(async (visit) => {
        const result = await tracker.end({ ...ctx, status: 200, contentType: 'text/html' }, visit);
        if (result.status === 'skipped') skipped.push(result.reason);
        res.setHeader('Content-Type', 'text/html');
        res.end('<p>ok</p>');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    /** One raw request (the request line and headers exactly as written); resolves with the status line. */
    const send = (head: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(`${head}\r\nUser-Agent: Mozilla/5.0 Chrome/126.0\r\nAccept: text/html\r\nConnection: close\r\n\r\n`));
        let answer = '';
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => (answer += chunk));
        socket.on('end', () => resolve(answer.split('\r\n', 1)[0] ?? ''));
        socket.on('error', reject);
      });
    try {
      const forged = ['GET /cart HTTP/1.1\r\nHost: a.example/%2e%2e/admin?x=', 'GET /products/sku-1 HTTP/1.1\r\nHost: b.example#', 'GET /cart HTTP/1.1\r\nHost: user@evil.example', 'GET /cart HTTP/1.0', 'GET /cart HTTP/1.1\r\nHost: '];
      for (const head of forged) expect(await send(head)).toMatch(/^HTTP\/1\.[01] 200/);
      expect(await send('GET /cart HTTP/1.1\r\nHost: shop.example')).toMatch(/ 200/);
      await tracker.flush();
      expect(memory.lines).toHaveLength(1);
      expect(memory.lines[0]).toMatch(/^wt\?p=600,shop\.example%2Fcart,,,,,\d+,0,,&/);
      expect(memory.lines[0]).toContain('&pu=http%3A%2F%2Fshop.example%2Fcart&');
      expect(skipped).toEqual(['no-host', 'no-host', 'no-host', 'no-host', 'no-host']);
    } finally {
      server.close();
      await tracker.close();
    }
  });
});
