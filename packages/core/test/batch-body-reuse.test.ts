import { describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:net';
import { BatchEngine } from '../src/transport/batch-engine.js';
import { resolveBatchOptions } from '../src/transport/batch-options.js';
import { requestMapp, type HttpResult, type MappRequestInit } from '../src/transport/http.js';
import { createStatsRecorder } from '../src/transport/stats.js';
import { nodeRequest } from '../src/node/node-requester.js';
import http from 'node:http';
import https from 'node:https';
import { LinesEncoder } from '../src/transport/encode-lines.js';
import { hit, recordingContext } from './fixtures/transport-context.js';

const text = (body: MappRequestInit['body']): string => (typeof body === 'string' ? body : new TextDecoder().decode(body));

/** Polls `condition` with a deadline (no sleeps). */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('batch bodies in a reused array', () => {
  it('keeps a batch body unchanged through its retries while more hits arrive, and encodes the next batch only once it is settled', async () => {
    const { context } = recordingContext('http://mapp.invalid');
    const calls: Array<{ body: MappRequestInit['body']; textAtCall: string }> = [];
    const answers: Array<(result: HttpResult) => void> = [];
    const engine = new BatchEngine(context, resolveBatchOptions({ maxBatchSize: 3, flushInterval: 60_000, concurrency: 1, backoffBase: 1, backoffMax: 1 }), createStatsRecorder(), {
      request: (_url, init) => {
        calls.push({ body: init.body, textAtCall: text(init.body) });
        return new Promise<HttpResult>((resolve) => answers.push(resolve));
      },
    });
    for (let n = 0; n < 3; n++) expect(engine.push(hit(1, n))).toBe(true);
    await until(() => calls.length === 1, 'the first POST');
    const first = calls[0]!;
    // While the first batch is out, three more hits queue up (a full batch in the same lane).
    for (let n = 3; n < 6; n++) expect(engine.push(hit(1, n))).toBe(true);
    answers.shift()!({ kind: 'retry', reason: 'HTTP 503', status: 503 });
    await until(() => calls.length === 2, 'the retry');
    // The retry sends the very same bytes, untouched by the hits queued meanwhile.
    expect(text(calls[1]!.body)).toBe(first.textAtCall);
    expect(text(first.body)).toBe(first.textAtCall);
    expect(first.textAtCall.split('\n')).toEqual([0, 1, 2].map((n) => hit(1, n).line));
    answers.shift()!({ kind: 'ok', status: 200, latencyMs: 1 });
    await until(() => calls.length === 3, 'the second batch');
    expect(calls[2]!.textAtCall.split('\n')).toEqual([3, 4, 5].map((n) => hit(1, n).line));
    answers.shift()!({ kind: 'ok', status: 200, latencyMs: 1 });
    await engine.flush();
    expect(await engine.drain(100)).toEqual([]);
  });
});

describe('nodeRequest', () => {
  it('never lets bytes written into the body after an early answer reach the server: the unfinished request is destroyed', async () => {
    // A server that answers 200 right after the headers and reads the body only later.
    const SIZE = 8 * 1024 * 1024;
    let afterAnswer = 0;
    let marked = 0;
    let bodyBytes = 0;
    let closed = false;
    let resumeReading: () => void = () => undefined;
    const server: Server = createServer((socket) => {
      let head = Buffer.alloc(0);
      let answered = false;
      socket.on('data', (chunk: Buffer) => {
        if (!answered) {
          head = Buffer.concat([head, chunk]);
          const end = head.indexOf('\r\n\r\n');
          if (end === -1) return;
          answered = true;
          bodyBytes += head.length - end - 4;
          socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n');
          socket.pause();
          resumeReading = () => socket.resume();
          return;
        }
        afterAnswer += chunk.length;
        bodyBytes += chunk.length;
        for (const byte of chunk) if (byte === 0x5a) marked++;
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        closed = true;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
    try {
      const body = new Uint8Array(SIZE).fill(0x41);
      const result = await nodeRequest(agents, `http://127.0.0.1:${port}/123451234512345/batch`, { method: 'POST', body }, 5000);
      expect(result.kind).toBe('ok');
      // The transport would now encode its next batch into the same array.
      body.fill(0x5a);
      resumeReading();
      // Whatever still arrives (the kernel may hold some of the old bytes) is the old content;
      // then the connection ends (destroyed), or, without the fix, the whole body arrives.
      await until(() => closed || bodyBytes >= SIZE, 'the connection to end or the whole body to arrive');
      expect(marked).toBe(0);
      expect(closed).toBe(true);
      expect(afterAnswer).toBeLessThan(SIZE);
    } finally {
      agents.http.destroy();
      agents.https.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('requestMapp over a fetch', () => {
  it('hands the fetch its own copy of a byte body, so reusing the array afterwards changes nothing the fetch holds', async () => {
    let seen: BodyInit | null | undefined;
    const fetchDouble = (async (_url: string | URL | Request, init?: RequestInit) => {
      seen = init?.body;
      return new Response(null, { status: 200 });
    }) as typeof fetch;
    const body = new TextEncoder().encode('wt?p=600,a,0\nwt?p=600,b,0');
    const result = await requestMapp(fetchDouble, 'http://mapp.invalid/123451234512345/batch', { method: 'POST', body }, 1000);
    expect(result.kind).toBe('ok');
    body.fill(0x5a);
    expect(new TextDecoder().decode(seen as Uint8Array)).toBe('wt?p=600,a,0\nwt?p=600,b,0');
  });
});

describe('LinesEncoder.idle', () => {
  it('lets go of an array grown for a burst once its owner has nothing more to send, and keeps a small one', () => {
    const encoder = new LinesEncoder();
    const small = ['wt?p=600,a,0', 'wt?p=600,b,0'];
    const kept = encoder.encode(small.length, (i) => small[i]!).buffer;
    encoder.idle();
    expect(encoder.encode(small.length, (i) => small[i]!).buffer).toBe(kept);
    const burst = Array.from({ length: 2000 }, (_, i) => `wt?p=600,${'x'.repeat(300)},${i}`);
    const grown = encoder.encode(burst.length, (i) => burst[i]!).buffer;
    expect(grown.byteLength).toBeGreaterThan(64 * 1024);
    encoder.idle();
    const after = encoder.encode(small.length, (i) => small[i]!);
    expect(after.buffer).not.toBe(grown);
    expect(after.buffer.byteLength).toBe(64 * 1024);
    expect(new TextDecoder().decode(after)).toBe(small.join('\n'));
  });
});
