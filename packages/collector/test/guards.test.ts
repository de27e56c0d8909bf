import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCollector } from '../src/index.js';
import type { Collector } from '../src/index.js';
import { PAGE_VIEW } from './sample-lines.js';

const TRACK = '123451234512345';

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A request with exactly these headers (fetch would not let a test set `Host` or `Sec-Fetch-Site`). */
function send(collector: Collector, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: collector.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Host check (DNS rebinding)', () => {
  let collector: Collector;
  beforeAll(async () => {
    collector = await startCollector();
    await fetch(`${collector.url}/${TRACK}/wt?${PAGE_VIEW.slice(3)}`);
  });
  afterAll(async () => {
    await collector.close();
  });

  it.each(['127.0.0.1', 'localhost', 'LocalHost', '[::1]'])('serves the hits to Host %s with the collector port', async (name) => {
    const answer = await send(collector, 'GET', '/api/hits', { host: `${name}:${collector.port}` });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).hits).toHaveLength(1);
  });

  it.each([
    ['a rebound name', (port: number) => `attacker.example:${port}`],
    ['a rebound name without a port', () => 'attacker.example'],
    ['localhost on another port', (port: number) => `localhost:${port + 1}`],
    ['a bare 127.0.0.1 (port 80)', () => '127.0.0.1'],
    ['an IP the collector is not bound to', (port: number) => `192.0.2.10:${port}`],
    ['junk', () => 'a b:c:d'],
  ])('answers 421 to %s, on every route that can read or change hits', async (_label, hostFor) => {
    const host = hostFor(collector.port);
    for (const path of ['/', '/api/hits', '/api/stats', '/api/events', '/_control/stats', '/_control/faults']) {
      const answer = await send(collector, 'GET', path, { host });
      expect({ path, status: answer.status }).toEqual({ path, status: 421 });
      expect(answer.body).not.toContain(PAGE_VIEW.slice(10, 40));
    }
    expect(answer421Mentions(await send(collector, 'GET', '/api/hits', { host }))).toBe(true);
    const clear = await send(collector, 'POST', '/_control/clear', { host, 'content-type': 'application/json' });
    expect(clear.status).toBe(421);
    expect(collector.hits()).toHaveLength(1);
  });

  it('keeps the tracking endpoints open to any Host, as pixels and proxies reach them by any name', async () => {
    const answer = await send(collector, 'GET', `/${TRACK}/wt?p=600,rebound,,,,,,0,,`, { host: 'collector.internal' });
    expect(answer.status).toBe(200);
    expect(collector.hits({ pageName: 'rebound' })).toHaveLength(1);
  });

  it('serves the names of allowedHosts: a bare name on any port, name:port on that port only', async () => {
    const deployed = await startCollector({ allowedHosts: ['collector.internal', 'shop-proxy.example:8443'] });
    try {
      const status = async (host: string): Promise<number> => (await send(deployed, 'GET', '/api/stats', { host })).status;
      expect(await status('collector.internal')).toBe(200);
      expect(await status('Collector.Internal:9700')).toBe(200);
      expect(await status('shop-proxy.example:8443')).toBe(200);
      expect(await status('shop-proxy.example:8444')).toBe(421);
      expect(await status('other.example')).toBe(421);
    } finally {
      await deployed.close();
    }
  });

  it('serves any IP with its port when bound to all interfaces, but no other name', async () => {
    const open = await startCollector({ host: '0.0.0.0' });
    try {
      const status = async (host: string): Promise<number> => (await send(open, 'GET', '/api/stats', { host })).status;
      expect(await status(`192.0.2.10:${open.port}`)).toBe(200);
      expect(await status(`[2001:db8::1]:${open.port}`)).toBe(200);
      expect(await status(`192.0.2.10:${open.port + 1}`)).toBe(421);
      expect(await status(`lan-box.example:${open.port}`)).toBe(421);
    } finally {
      await open.close();
    }
  });

  it('refuses a malformed allowedHosts entry at start, naming the option', async () => {
    await expect(startCollector({ allowedHosts: ['http://collector.internal/'] })).rejects.toThrow(/allowedHosts must be host names or host:port entries/);
  });
});

function answer421Mentions(answer: Answer): boolean {
  return answer.status === 421 && answer.body.includes('allowedHosts');
}

describe('control writes from other sites (CSRF)', () => {
  let collector: Collector;
  let own: string;
  beforeAll(async () => {
    collector = await startCollector();
    own = `127.0.0.1:${collector.port}`;
  });
  afterAll(async () => {
    await collector.close();
  });

  const json = { 'content-type': 'application/json' };

  it.each([
    ['a page on another local origin', { origin: 'http://127.0.0.1:5173' }, 403],
    ['a page on another site', { origin: 'https://evil.example' }, 403],
    ['a sandboxed frame or file: page (Origin: null)', { origin: 'null' }, 403],
    ['a cross-site fetch that names no Origin but Sec-Fetch-Site', { 'sec-fetch-site': 'cross-site' }, 403],
    ['a same-site fetch from another port', { 'sec-fetch-site': 'same-site' }, 403],
  ])('refuses a JSON write from %s with 403 and changes nothing', async (_label, headers, status) => {
    await fetch(`${collector.url}/${TRACK}/wt?p=600,kept,,,,,,0,,`);
    const before = collector.hits().length;
    const faults = await send(collector, 'PUT', '/_control/faults', { host: own, ...json, ...headers }, '{"status":503}');
    const clear = await send(collector, 'POST', '/_control/clear', { host: own, ...json, ...headers });
    expect([faults.status, clear.status]).toEqual([status, status]);
    expect(JSON.parse(faults.body).error).toContain("must come from the collector's own origin");
    expect((await fetch(`${collector.url}/${TRACK}/wt?p=600,still-ok,,,,,,0,,`)).status).toBe(200);
    expect(collector.hits()).toHaveLength(before + 1);
  });

  it.each([
    ['a form post', 'application/x-www-form-urlencoded'],
    ['a multipart form', 'multipart/form-data; boundary=x'],
    ['text/plain (what a no-cors fetch and curl -d without -H send)', 'text/plain;charset=UTF-8'],
  ])('refuses %s with 415, even without an Origin', async (_label, type) => {
    const faults = await send(collector, 'PUT', '/_control/faults', { host: own, 'content-type': type }, '{"status":503}');
    const clear = await send(collector, 'POST', '/_control/clear', { host: own, 'content-type': type });
    expect([faults.status, clear.status]).toEqual([415, 415]);
    expect(JSON.parse(faults.body).error).toContain('Content-Type: application/json');
    expect((await fetch(`${collector.url}/_control/faults`)).status).toBe(200);
    expect(await (await fetch(`${collector.url}/_control/faults`)).json()).toEqual({});
  });

  it('refuses a write with no content type at all', async () => {
    const clear = await send(collector, 'POST', '/_control/clear', { host: own });
    expect(clear.status).toBe(415);
  });

  it.each([
    ['the inspector page (same origin)', () => ({ origin: `http://${own}`, 'sec-fetch-site': 'same-origin' })],
    ['a script or curl (no Origin)', () => ({})],
    ['localhost as both Host and Origin', () => ({ host: `localhost:${collector.port}`, origin: `http://localhost:${collector.port}` })],
  ])('accepts a JSON write from %s', async (_label, extra) => {
    const headers = { host: own, ...json, ...extra() };
    const faults = await send(collector, 'PUT', '/_control/faults', headers, '{"latencyMs":1}');
    expect(faults.status).toBe(200);
    expect(JSON.parse(faults.body)).toEqual({ latencyMs: 1 });
    const clear = await send(collector, 'POST', '/_control/clear', headers);
    expect(clear.status).toBe(200);
    expect(collector.hits()).toEqual([]);
    collector.setFaults({});
  });

  it('keeps reads open to tools: GET of faults and stats needs no content type', async () => {
    const stats = await send(collector, 'GET', '/_control/stats', { host: own, origin: 'https://evil.example' });
    expect(stats.status).toBe(200);
    expect(stats.body).toContain('"total"');
    // No CORS header: a page on that origin cannot read the answer.
    expect(stats.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('framing (clickjacking)', () => {
  let collector: Collector;
  beforeAll(async () => {
    collector = await startCollector();
  });
  afterAll(async () => {
    await collector.close();
  });

  const forbidsFraming = (headers: Record<string, string | string[] | undefined>): boolean =>
    headers['x-frame-options'] === 'DENY' && /(^|;)\s*frame-ancestors 'none'\s*(;|$)/.test(String(headers['content-security-policy']));

  it('forbids framing of the inspector page, which keeps its own script policy', async () => {
    for (const path of ['/', '/index.html']) {
      const answer = await send(collector, 'GET', path, { host: `127.0.0.1:${collector.port}` });
      expect({ path, status: answer.status, framing: forbidsFraming(answer.headers) }).toEqual({ path, status: 200, framing: true });
      expect(answer.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
    }
  });

  it.each([
    ['GET', '/api/hits', {}, 200],
    ['GET', '/api/hits?type=bogus', {}, 400],
    ['GET', '/api/stats', {}, 200],
    ['GET', '/_control/stats', {}, 200],
    ['GET', '/_control/faults', {}, 200],
    ['GET', '/_control/health', {}, 200],
    ['PUT', '/_control/faults', { 'content-type': 'application/json' }, 200],
    ['POST', '/_control/clear', { 'content-type': 'text/plain' }, 415],
    ['GET', '/favicon.ico', {}, 204],
    ['GET', '/no-such-page', {}, 404],
  ] as const)('forbids framing of %s %s (%#)', async (method, path, headers, status) => {
    const answer = await send(collector, method, path, { host: `127.0.0.1:${collector.port}`, ...headers }, method === 'GET' ? undefined : '{}');
    expect({ status: answer.status, framing: forbidsFraming(answer.headers) }).toEqual({ status, framing: true });
  });

  it('forbids framing of the live stream and of the answer to a foreign Host', async () => {
    const stream = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: collector.port, path: '/api/events' }, (res) => {
        resolve(res.headers);
        req.destroy();
      });
      req.on('error', reject);
      req.end();
    });
    expect(stream['content-type']).toContain('text/event-stream');
    expect(forbidsFraming(stream)).toBe(true);
    const foreign = await send(collector, 'GET', '/', { host: 'attacker.example' });
    expect({ status: foreign.status, framing: forbidsFraming(foreign.headers) }).toEqual({ status: 421, framing: true });
  });

  it('leaves the tracking endpoints as they were: a pixel is embedded by every site', async () => {
    const answer = await send(collector, 'GET', `/${TRACK}/wt?p=600,framed,,,,,,0,,`, { host: 'collector.internal' });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-frame-options']).toBeUndefined();
  });
});
