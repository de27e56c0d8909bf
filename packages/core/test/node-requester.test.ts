import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import http from 'node:http';
import https from 'node:https';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createTracker } from '../src/node/index.js';
import { createNodeRequester, nodeRequest, type NodeAgents } from '../src/node/node-requester.js';
import { ABORTED_BY_CLOSE } from '../src/transport/http.js';

const TRACK_ID = '123451234512345';
const LINE = 'wt?p=600,shop%2Fhome,,,,,1730181123123,0,,&eid=2176420000012345678';

let collector: Collector;
let agents: NodeAgents;

beforeEach(async () => {
  collector = await startCollector({ inspector: false });
  agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
});

afterEach(async () => {
  agents.http.destroy();
  agents.https.destroy();
  await collector.close();
});

const batchUrl = (): string => `${collector.url}/${TRACK_ID}/batch`;
const post = (body: string, timeout = 2000, abort?: AbortSignal) => nodeRequest(agents, batchUrl(), { method: 'POST', body }, timeout, abort);

describe('node:http requester (the Node entry’s batch client)', () => {
  it('POSTs the lines and reports ok with a latency; the collector stores every line', async () => {
    const result = await post(`${LINE}&cp1=1\n${LINE}&cp1=2`);
    expect(result).toMatchObject({ kind: 'ok', status: 200 });
    expect(collector.hits().map((stored) => stored.params.cp1)).toEqual(['1', '2']);
  });

  it('reuses one keep-alive connection for consecutive requests', async () => {
    const sockets = new Set<unknown>();
    agents.http.on('free', (socket) => sockets.add(socket));
    for (let i = 0; i < 5; i++) expect((await post(`${LINE}&cp1=${i}`)).kind).toBe('ok');
    expect(sockets.size).toBe(1);
    expect(collector.hits()).toHaveLength(5);
  });

  it('answers like requestMapp: 5xx and 429 are retried (with Retry-After), 4xx and 3xx rejected', async () => {
    collector.setFaults({ status: 503 });
    expect(await post(LINE)).toEqual({ kind: 'retry', status: 503, reason: 'HTTP 503' });
    collector.setFaults({ status: 429, retryAfter: 7 });
    expect(await post(LINE)).toEqual({ kind: 'retry', status: 429, reason: 'HTTP 429', retryAfterMs: 7000 });
    collector.setFaults({ status: 400 });
    expect(await post(LINE)).toEqual({ kind: 'reject', status: 400, reason: 'HTTP 400' });
    collector.setFaults({ status: 302 });
    expect(await post(LINE)).toEqual({ kind: 'reject', status: 302, reason: 'HTTP 302' });
  });

  it('gives up after the timeout with the same reason as the fetch client', async () => {
    collector.setFaults({ latencyMs: 1000 });
    const result = await post(LINE, 50);
    expect(result).toMatchObject({ kind: 'retry', reason: 'timeout after 50 ms' });
  });

  it('is cut by the close signal, before or during the request', async () => {
    const closed = new AbortController();
    closed.abort();
    expect(await post(LINE, 2000, closed.signal)).toMatchObject({ kind: 'retry', reason: ABORTED_BY_CLOSE });
    collector.setFaults({ latencyMs: 1000 });
    const closer = new AbortController();
    const pending = post(LINE, 2000, closer.signal);
    closer.abort();
    expect(await pending).toMatchObject({ kind: 'retry', reason: ABORTED_BY_CLOSE });
  });

  it('reports a refused or reset connection as a retry with the socket error code', async () => {
    collector.setFaults({ dropRate: 1 });
    const reset = await post(LINE);
    expect(reset.kind).toBe('retry');
    const url = collector.url;
    await collector.close();
    const refused = await nodeRequest(agents, `${url}/${TRACK_ID}/batch`, { method: 'POST', body: LINE }, 2000);
    expect(refused).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^ECONNREFUSED: nothing accepts connections at http:\/\/127.0.0.1:/) });
    collector = await startCollector({ inspector: false });
  });
});

describe('createNodeRequester', () => {
  it('hands the request to a replaced globalThis.fetch, so doubles and instrumentation still see it', async () => {
    const native = globalThis.fetch;
    const seen: string[] = [];
    const double = jest.fn((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      seen.push(String(input));
      return native(input, init);
    });
    globalThis.fetch = double as typeof fetch;
    const client = createNodeRequester((input, init) => globalThis.fetch(input, init));
    try {
      expect((await client.request(batchUrl(), { method: 'POST', body: LINE }, 2000)).kind).toBe('ok');
    } finally {
      globalThis.fetch = native;
      client.close();
    }
    expect(seen).toEqual([batchUrl()]);
    expect(collector.hits()).toHaveLength(1);
  });

  it('sends over node:http while fetch is Node’s own (the fetch is not called)', async () => {
    const fallback = jest.fn<typeof fetch>();
    const client = createNodeRequester(fallback);
    try {
      expect((await client.request(batchUrl(), { method: 'POST', body: LINE }, 2000)).kind).toBe('ok');
    } finally {
      client.close();
    }
    expect(fallback).not.toHaveBeenCalled();
    expect(collector.hits()).toHaveLength(1);
  });

  it('carries a Node tracker’s batch (default client) to the collector, and an explicit fetch still gets every POST', async () => {
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'batch', trustProxy: false }, {});
    await tracker.track({ page: { name: 'a' } });
    await tracker.close({ timeout: 2000 });
    expect(collector.hits().map((stored) => stored.p[1])).toEqual(['a']);

    const calls: string[] = [];
    const counting: typeof fetch = (input, init) => {
      calls.push(String(input));
      return fetch(input, init);
    };
    const withFetch = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'batch', trustProxy: false, fetch: counting }, {});
    await withFetch.track({ page: { name: 'b' } });
    await withFetch.close({ timeout: 2000 });
    expect(calls).toEqual([batchUrl()]);
    expect(collector.hits().map((stored) => stored.p[1])).toEqual(['a', 'b']);
  });

  it('carries a Node tracker’s direct GETs too, many in flight at once without a MaxListeners warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    collector.setFaults({ latencyMs: 30 });
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: collector.url, transport: 'direct', timeout: 2000, trustProxy: false }, {});
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => tracker.track({ page: { name: `p${i}` } })));
      expect(results.every((result) => result.ok && result.status === 'sent')).toBe(true);
    } finally {
      await tracker.close({ timeout: 2000 });
      process.off('warning', onWarning);
    }
    expect(collector.hits().map((stored) => stored.p[1]).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`).sort());
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
