import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startCollector } from '../src/index.js';
import type { Collector } from '../src/index.js';
import { PAGE_VIEW } from './sample-lines.js';

const JSON_TYPE = { 'content-type': 'application/json' };

const TRACK = '123451234512345';

async function sendBatch(collector: Collector): Promise<number | string> {
  try {
    const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: PAGE_VIEW });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 'network error';
  }
}

describe('fault injection', () => {
  let collector: Collector;
  beforeEach(async () => {
    collector = await startCollector();
  });
  afterEach(async () => {
    await collector.close();
  });

  it('answers every tracking request with a fixed status and Retry-After, storing nothing', async () => {
    collector.setFaults({ status: 429, retryAfter: 7 });
    const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: PAGE_VIEW });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    const gif = await fetch(`${collector.url}/${TRACK}/wt?p=600`);
    expect(gif.status).toBe(429);
    expect(collector.hits()).toHaveLength(0);
    expect(collector.requestCount()).toBe(2);
  });

  it('fails a seeded fraction of requests with errorRate, replayably', async () => {
    const run = async (): Promise<Array<number | string>> => {
      collector.setFaults({ errorRate: 0.5, seed: 42 });
      const statuses: Array<number | string> = [];
      for (let i = 0; i < 40; i++) statuses.push(await sendBatch(collector));
      return statuses;
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    const failed = first.filter((s) => s === 500).length;
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(35);
    expect(first.filter((s) => s === 200).length).toBe(40 - failed);
    expect(collector.hits()).toHaveLength(2 * (40 - failed));
  });

  it('uses the fixed status for errorRate failures', async () => {
    collector.setFaults({ errorRate: 1, status: 503 });
    expect(await sendBatch(collector)).toBe(503);
  });

  it('destroys connections with dropRate', async () => {
    collector.setFaults({ dropRate: 1 });
    expect(await sendBatch(collector)).toBe('network error');
    expect(collector.hits()).toHaveLength(0);
    expect(collector.requestCount()).toBe(1);
  });

  it('is down for downForMs, then answers again', async () => {
    collector.setFaults({ downForMs: 60_000 });
    expect(await sendBatch(collector)).toBe('network error');
    const faults = await (await fetch(`${collector.url}/_control/faults`)).json();
    expect(faults.downForMs).toBeGreaterThan(50_000);
    collector.setFaults({ downForMs: 1 });
    const deadline = Date.now() + 5000;
    let status = await sendBatch(collector);
    while (status !== 200 && Date.now() < deadline) status = await sendBatch(collector);
    expect(status).toBe(200);
  });

  it('delays answers by latencyMs', async () => {
    collector.setFaults({ latencyMs: 150 });
    const started = performance.now();
    expect(await sendBatch(collector)).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('is set and read at run time over the control endpoint, which is never faulted', async () => {
    const put = await fetch(`${collector.url}/_control/faults`, { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify({ status: 500, dropRate: 0 }) });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ status: 500, dropRate: 0 });
    expect(await sendBatch(collector)).toBe(500);
    collector.setFaults({ dropRate: 1, latencyMs: 0 });
    for (const path of ['/_control/faults', '/_control/stats', '/api/hits', '/']) {
      expect((await fetch(`${collector.url}${path}`)).status).toBe(200);
    }
    const clear = await fetch(`${collector.url}/_control/faults`, { method: 'PUT', headers: JSON_TYPE, body: '{}' });
    expect(await clear.json()).toEqual({});
    expect(await sendBatch(collector)).toBe(200);
  });

  it('rejects bad faults with a message naming the field', async () => {
    const bad = await fetch(`${collector.url}/_control/faults`, { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify({ errorRate: 2 }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe('fault errorRate must be between 0 and 1, got 2');
    const typo = await fetch(`${collector.url}/_control/faults`, { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify({ errorrate: 1 }) });
    expect((await typo.json()).error).toContain('unknown fault "errorrate"');
    const junk = await fetch(`${collector.url}/_control/faults`, { method: 'PUT', headers: JSON_TYPE, body: '{not json' });
    expect(junk.status).toBe(400);
    expect(() => collector.setFaults({ status: 99 })).toThrow('fault status must be an HTTP status');
    await expect(startCollector({ faults: { dropRate: -1 } })).rejects.toThrow('fault dropRate must be between 0 and 1');
  });

  it('refuses a latencyMs over 600000 ms (setTimeout would fire at once) and a fractional retryAfter, naming the field', async () => {
    const put = (body: object): Promise<Response> => fetch(`${collector.url}/_control/faults`, { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify(body) });
    const tooLong = await put({ latencyMs: 3_000_000_000 });
    expect(tooLong.status).toBe(400);
    expect((await tooLong.json()).error).toBe('fault latencyMs must be at most 600000 (10 minutes), got 3000000000');
    const fraction = await put({ status: 503, retryAfter: 1.5 });
    expect(fraction.status).toBe(400);
    expect((await fraction.json()).error).toBe('fault retryAfter must be a whole number of seconds (Retry-After: <seconds>), got 1.5');
    // Nothing of a refused PUT is applied.
    expect(await (await fetch(`${collector.url}/_control/faults`)).json()).toEqual({});
    expect(() => collector.setFaults({ latencyMs: 600_001 })).toThrow('fault latencyMs must be at most 600000');
    await expect(startCollector({ faults: { retryAfter: 0.5 } })).rejects.toThrow('fault retryAfter must be a whole number of seconds');

    const edge = await put({ latencyMs: 600_000, retryAfter: 0, status: 503 });
    expect(edge.status).toBe(200);
    expect(await edge.json()).toEqual({ latencyMs: 600_000, retryAfter: 0, status: 503 });
    collector.setFaults({ status: 503, retryAfter: 0 });
    const answer = await fetch(`${collector.url}/${TRACK}/wt?p=600`);
    expect([answer.status, answer.headers.get('retry-after')]).toEqual([503, '0']);
  });

  it('destroys HEAD and OPTIONS connections too while down, and answers them again after', async () => {
    const attempt = async (method: string, path: string): Promise<number | string> => {
      try {
        return (await fetch(`${collector.url}/${TRACK}${path}`, { method })).status;
      } catch {
        return 'network error';
      }
    };
    collector.setFaults({ downForMs: 60_000 });
    expect(await attempt('HEAD', '/wt?p=600')).toBe('network error');
    expect(await attempt('OPTIONS', '/batch')).toBe('network error');
    expect(await attempt('GET', '/wt?p=600')).toBe('network error');
    expect(collector.requestCount()).toBe(1);
    collector.setFaults({});
    expect(await attempt('HEAD', '/wt?p=600')).toBe(200);
    expect(await attempt('OPTIONS', '/batch')).toBe(204);
    expect(collector.hits()).toHaveLength(0);
  });

  it('starts with the faults given in the options', async () => {
    const faulty = await startCollector({ faults: { status: 502 } });
    try {
      expect(await sendBatch(faulty)).toBe(502);
    } finally {
      await faulty.close();
    }
  });
});
