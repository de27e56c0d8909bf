import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodePixelProxy, type NodePixelProxyOptions } from '../src/node/node-pixel-proxy.js';
import { toWebRequest } from '../src/node/to-web-request.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import type { Logger } from '../src/types.js';
import { CHROME_UA, lineParams, PIXEL_QUERY, TRACK_ID } from './pixel-helpers.js';

type Req = { id: string };

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

function recordingLogger(): Logger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return { warnings, errors, debug: () => undefined, warn: (message: string) => void warnings.push(message), error: (message: string) => void errors.push(message) };
}

function setup(options: Partial<NodePixelProxyOptions<Req>> = {}) {
  const memory = createMemoryTransport();
  const logger = recordingLogger();
  const proxy = createNodePixelProxy<Req>({ trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9', transport: memory, mountPath: '/mapp/pixel', trustProxy: false, logger, ...options }, {});
  return { memory, logger, proxy };
}

/** Serves the proxy's answers over real HTTP, passing `parsedBody` as a body parser would. */
async function serve(proxy: ReturnType<typeof setup>['proxy'], parsedBody?: (req: IncomingMessage) => unknown): Promise<string> {
  server = createServer((req, res) => {
    void proxy.answer({ id: 'r1' }, req, { parsedBody: parsedBody?.(req), rawTarget: req.url ?? '/' }).then(async (answer) => {
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function send(base: string, method: string, path: string, body?: string): Promise<{ status: number; type: string | undefined }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers: { 'user-agent': CHROME_UA, 'content-type': 'text/plain' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('createNodePixelProxy', () => {
  it('answers a pixel GET from a Node request with the GIF and queues the line with the peer address', async () => {
    const { memory, proxy } = setup();
    const base = await serve(proxy);
    expect(await send(base, 'GET', `/mapp/pixel?${PIXEL_QUERY}`)).toEqual({ status: 200, type: 'image/gif' });
    const [hit] = await memory.waitForHits(1);
    expect(lineParams(hit!.line).params.get('X-WT-IP')).toBe('127.0.0.1');
    expect(proxy.tracker).toBeDefined();
  });

  it.each([
    ['streamed from the socket', undefined],
    ['already parsed to a string', (): string => '?p=600,parsed&ct=go'],
  ])('reads a POST body %s', async (_name, parsed) => {
    const { memory, proxy } = setup();
    const base = await serve(proxy, parsed);
    const answer = await send(base, 'POST', `/mapp/pixel/${TRACK_ID}/batch`, '?p=600,parsed&ct=go');
    // A beacon gets an empty 204: sendBeacon never reads the answer.
    expect(answer.status).toBe(204);
    const [hit] = await memory.waitForHits(1);
    expect(lineParams(hit!.line).params.get('ct')).toBe('go');
  });

  it('answers the GIF and reports to onError when the request cannot be converted', async () => {
    const failures: Array<[string, Req]> = [];
    const { proxy } = setup({ onError: (error, request) => void failures.push([error.message, request]) });
    // TRACE is a forbidden method for the Fetch API: converting the request throws.
    const answer = await proxy.answer({ id: 'trace' }, { method: 'TRACE', headers: {}, socket: {} } as IncomingMessage, { rawTarget: '/mapp/pixel' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('image/gif');
    expect(failures).toEqual([[expect.stringContaining('TRACE'), { id: 'trace' }]]);
  });

  it('logs failures without onError, and logs a throwing onError instead of throwing', () => {
    const plain = setup();
    expect(plain.proxy.fail('write failed', { id: 'a' }).status).toBe(200);
    expect(plain.logger.warnings).toEqual(['[mapp-s2s] pixel proxy failed (the browser got the GIF): write failed']);
    const throwing = setup({ onError: () => { throw new Error('handler broke'); } });
    expect(() => throwing.proxy.fail(new Error('x'), { id: 'b' })).not.toThrow();
    expect(throwing.logger.errors).toEqual(['[mapp-s2s] onError threw']);
  });
});

describe('toWebRequest', () => {
  const nodeRequest = (headers: Record<string, string | string[]>, encrypted = false) =>
    ({ method: 'get', headers, socket: { encrypted }, readableEnded: true }) as unknown as IncomingMessage;

  it.each([
    ['a normal host', { host: 'shop.example.com:8080' }, false, 'http://shop.example.com:8080/'],
    ['an IPv6 host over TLS', { host: '[::1]:8443' }, true, 'https://[::1]:8443/'],
    ['a hostile host', { host: 'evil.example/x?y' }, false, 'http://localhost/'],
    ['no host', {}, false, 'http://localhost/'],
  ])('builds the URL from %s', (_name, headers, encrypted, url) => {
    expect(toWebRequest(nodeRequest(headers, encrypted)).url).toBe(url);
  });

  it('upper-cases the method, keeps repeated headers and skips pseudo-headers', () => {
    const request = toWebRequest(nodeRequest({ host: 'a.test', 'x-many': ['1', '2'], ':path': '/x' }));
    expect(request.method).toBe('GET');
    expect(request.headers.get('x-many')).toBe('1, 2');
    expect([...request.headers.keys()]).toEqual(['host', 'x-many']);
  });
});
