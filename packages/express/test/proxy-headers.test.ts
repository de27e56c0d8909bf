import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import express from 'express';
import { createMemoryTransport, type MemoryTransport, type ProxyHeaders } from '@mapp-s2s/core';
import { validateLine } from '@mapp-s2s/collector';
import { BROWSER_UA } from '@mapp-s2s/adapter-tests';
import { mappTracking } from '../src/index.js';
import { listen, recordingLogger } from './support.js';

// Every address is on loopback, but not the same one: the client connects from 127.0.0.2, the
// proxy (and only the proxy) from 127.0.0.1, which is all that trustProxy trusts.
const CLIENT = '127.0.0.2';
const PROXY = '127.0.0.1';
const SPOOFED_IP = '198.51.100.66';
const SITE = 'shop.example';

type ProxyStyle = 'haproxy' | 'nginx';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The Express app under test, tracking into `memory`, answering every GET with a page. */
async function startApp(memory: MemoryTransport, proxyHeaders: ProxyHeaders | undefined, trustProxy: string[] | false = [PROXY]): Promise<number> {
  const app = express();
  app.use(mappTracking({ trackId: '123451234512345', trackDomain: 'http://127.0.0.1:9', transport: memory, trustProxy, proxyHeaders, logger: recordingLogger() }));
  app.use((_req, res) => {
    res.type('html').send('<!doctype html><title>page</title>');
  });
  const server = await listen(app);
  cleanups.push(() => server.close());
  return Number(new URL(server.url).port);
}

/**
 * A reverse proxy in front of the app that terminated TLS for `shop.example`. HAProxy-style
 * (`option forwarded proto host for`): appends its `Forwarded` element and passes every other
 * header on untouched. nginx-style: appends the peer to `X-Forwarded-For`
 * (`$proxy_add_x_forwarded_for`) and sets `X-Forwarded-Proto`/`-Host`; `Forwarded` passes on.
 */
async function startProxy(style: ProxyStyle, appPort: number): Promise<number> {
  const server: Server = createServer((req, res) => {
    const headers: IncomingHttpHeaders = { ...req.headers };
    const peer = req.socket.remoteAddress ?? '';
    if (style === 'haproxy') {
      const element = `for=${peer};proto=https;host=${SITE}`;
      headers['forwarded'] = headers['forwarded'] === undefined ? element : `${headers['forwarded']}, ${element}`;
    } else {
      headers['x-forwarded-for'] = headers['x-forwarded-for'] === undefined ? peer : `${headers['x-forwarded-for']}, ${peer}`;
      headers['x-forwarded-proto'] = 'https';
      headers['x-forwarded-host'] = SITE;
    }
    const upstream = httpRequest({ host: PROXY, port: appPort, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, PROXY, resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A browser at CLIENT opening https://shop.example/p through the proxy, adding `extra` headers of its own. */
function browse(proxyPort: number, extra: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: PROXY, port: proxyPort, localAddress: CLIENT, path: '/p', headers: { host: SITE, 'user-agent': BROWSER_UA, accept: 'text/html', ...extra } },
      (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** What the stored hit says about the client. */
async function hitOf(memory: MemoryTransport): Promise<{ ip: string | undefined; pu: string | undefined }> {
  const [hit] = await memory.waitForHits(1);
  const { params } = validateLine(hit!.line);
  return { ip: params['X-WT-IP'], pu: params['pu'] };
}

const REAL = { ip: CLIENT, pu: `https://${SITE}/p` };
/** `auto` with both kinds present and disagreeing: the proxy's own address, the Host header, the connection's scheme. */
const AMBIGUOUS = { ip: PROXY, pu: `http://${SITE}/p` };
const SPOOF_XFF = { 'x-forwarded-for': SPOOFED_IP };
const SPOOF_X_PROTO_HOST = { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.example' };
const SPOOF_FORWARDED = { forwarded: `for=${SPOOFED_IP};proto=http;host=evil.example` };
const SPOOF_ALL = { ...SPOOF_XFF, ...SPOOF_X_PROTO_HOST, ...SPOOF_FORWARDED };

describe('a client behind a trusted proxy cannot choose its IP, host or scheme (real Express app, real HTTP)', () => {
  it.each<[ProxyStyle, ProxyHeaders | 'unset (auto)', string, Record<string, string>, { ip: string; pu: string }]>([
    ['haproxy', 'unset (auto)', 'no headers of its own', {}, REAL],
    ['haproxy', 'unset (auto)', 'its own X-Forwarded-Proto/-Host', SPOOF_X_PROTO_HOST, REAL],
    ['haproxy', 'unset (auto)', 'its own Forwarded element', SPOOF_FORWARDED, REAL],
    ['haproxy', 'unset (auto)', 'its own X-Forwarded-For', SPOOF_XFF, AMBIGUOUS],
    ['haproxy', 'unset (auto)', 'every forwarding header', SPOOF_ALL, AMBIGUOUS],
    ['haproxy', 'unset (auto)', 'an X-Forwarded-For naming itself and a host', { 'x-forwarded-for': `${SPOOFED_IP}, ${CLIENT}`, 'x-forwarded-host': 'evil.example' }, { ip: CLIENT, pu: `http://${SITE}/p` }],
    ['haproxy', 'forwarded', 'its own X-Forwarded-For', SPOOF_XFF, REAL],
    ['haproxy', 'forwarded', 'every forwarding header', SPOOF_ALL, REAL],
    ['nginx', 'unset (auto)', 'no headers of its own', {}, REAL],
    ['nginx', 'unset (auto)', 'its own X-Forwarded-For', SPOOF_XFF, REAL],
    ['nginx', 'unset (auto)', 'its own X-Forwarded-Proto/-Host', SPOOF_X_PROTO_HOST, REAL],
    ['nginx', 'unset (auto)', 'its own Forwarded element', SPOOF_FORWARDED, AMBIGUOUS],
    ['nginx', 'unset (auto)', 'every forwarding header', SPOOF_ALL, AMBIGUOUS],
    ['nginx', 'x-forwarded', 'every forwarding header', SPOOF_ALL, REAL],
  ])('%s-style proxy, proxyHeaders %s: a client sending %s', async (style, proxyHeaders, _label, extra, expected) => {
    const memory = createMemoryTransport();
    const proxyPort = await startProxy(style, await startApp(memory, proxyHeaders === 'unset (auto)' ? undefined : proxyHeaders));
    expect(await browse(proxyPort, extra)).toBe(200);
    const hit = await hitOf(memory);
    expect(hit).toEqual(expected);
    expect(hit.pu).not.toContain('evil');
  });
});

/** Sends one raw HTTP/1.1 request line (absolute-form) from `localAddress` and reads until the server closes. */
function rawGet(port: number, localAddress: string, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: PROXY, port, localAddress });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(`GET ${target} HTTP/1.1\r\nHost: ${SITE}\r\nUser-Agent: ${BROWSER_UA}\r\nAccept: text/html\r\nConnection: close\r\n\r\n`);
  });
}

describe('an absolute-form request target (raw TCP)', () => {
  it.each<[string, string[] | false, string, string]>([
    ['never sets host and scheme without trustProxy', false, CLIENT, `http://${SITE}/p?x=1`],
    ['never sets host and scheme from an untrusted peer', [PROXY], CLIENT, `http://${SITE}/p?x=1`],
    // HAProxy relays a client's absolute-form target unchanged: a trusted peer's may be the client's too.
    ['never sets them from a trusted proxy either', [PROXY], PROXY, `http://${SITE}/p?x=1`],
  ])('%s', async (_label, trustProxy, from, pu) => {
    const memory = createMemoryTransport();
    const port = await startApp(memory, undefined, trustProxy);
    expect(await rawGet(port, from, 'https://evil.example:8443/p?x=1')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await hitOf(memory)).toEqual({ ip: from, pu });
  });
});
