import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startCollector } from '../src/index.js';
import type { Collector, StoredHit } from '../src/index.js';
import { ANONYMOUS, EVENT, ORDER, PAGE_VIEW, PRODUCT_VIEW, VISITOR_A, VISITOR_B } from './sample-lines.js';

const TRACK = '123451234512345';

async function post(collector: Collector, lines: string[]): Promise<void> {
  const res = await fetch(`${collector.url}/${TRACK}/batch`, { method: 'POST', body: lines.join('\n') });
  expect(res.status).toBe(200);
}

/** Opens the SSE stream and collects `hit` events until `count` arrived. */
function readEvents(url: string, count: number, onOpen: () => void): Promise<StoredHit[]> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/events`, (res) => {
      expect(res.headers['content-type']).toContain('text/event-stream');
      const hits: StoredHit[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        if (buffer.includes(': connected')) onOpen();
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block);
          if (/^event: hit$/m.test(block) && data) hits.push(JSON.parse(data[1]!) as StoredHit);
        }
        if (hits.length >= count) {
          req.destroy();
          resolve(hits);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('hits API, events and control', () => {
  let collector: Collector;
  beforeEach(async () => {
    collector = await startCollector();
    await post(collector, [PAGE_VIEW, PRODUCT_VIEW, EVENT, ORDER, ANONYMOUS]);
  });
  afterEach(async () => {
    await collector.close();
  });

  it('filters hits by eid, page name and type, in code and over HTTP', async () => {
    expect(collector.hits({ eid: VISITOR_B }).map((h) => h.type)).toEqual(['event', 'order']);
    expect(collector.hits({ type: 'order' })).toHaveLength(1);
    expect(collector.hits({ pageName: 'shop.example.com/' })).toHaveLength(1);
    expect(collector.hits({ limit: 2 }).map((h) => h.id)).toEqual([4, 5]);

    const get = async (query: string): Promise<StoredHit[]> => ((await (await fetch(`${collector.url}/api/hits?${query}`)).json()) as { hits: StoredHit[] }).hits;
    expect((await get(`eid=${VISITOR_A}`)).map((h) => h.id)).toEqual([2, 1]);
    expect((await get('pageNameContains=PRODUCTS')).map((h) => h.id)).toEqual([5, 2]);
    expect((await get('type=event')).map((h) => h.id)).toEqual([3]);
    expect((await get('limit=1&order=asc')).map((h) => h.id)).toEqual([5]);
    expect((await get('eidContains=87654')).map((h) => h.id)).toEqual([4, 3]);
    expect((await get('pageNameContains=100%25_')).length).toBe(0);
  });

  it('streams new hits over Server-Sent Events', async () => {
    const received = readEvents(collector.url, 2, () => void post(collector, [EVENT, ORDER]));
    const hits = await received;
    expect(hits.map((h) => [h.id, h.type])).toEqual([
      [6, 'event'],
      [7, 'order'],
    ]);
    expect(hits[1]!.params['oi']).toBe('ORD-1001');
  });

  it('reports stats and clears over the control endpoint', async () => {
    const stats = await (await fetch(`${collector.url}/_control/stats`)).json();
    expect(stats).toMatchObject({ total: 5, byType: { page: 3, event: 1, order: 1 }, withProblems: 0, visitors: 2, requests: 1 });
    expect(stats.perMinute).toHaveLength(30);
    expect(stats.perMinute[29].count).toBe(5);
    const clear = await fetch(`${collector.url}/_control/clear`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(clear.status).toBe(200);
    expect(collector.hits()).toEqual([]);
    expect(collector.requestCount()).toBe(0);
    expect((await fetch(`${collector.url}/_control/clear`)).status).toBe(405);
  });

  it('notifies onHit listeners and lets them unsubscribe; a throwing listener harms nothing', async () => {
    const seen: number[] = [];
    collector.onHit(() => {
      throw new Error('listener bug');
    });
    const off = collector.onHit((hit) => seen.push(hit.id));
    await post(collector, [EVENT]);
    off();
    await post(collector, [ORDER]);
    expect(seen).toEqual([6]);
    expect(collector.hits()).toHaveLength(7);
  });

  it('waits for hits, and rejects with the count when they do not come', async () => {
    const waiting = collector.waitForHits(7);
    await post(collector, [EVENT, ORDER]);
    await expect(waiting).resolves.toHaveLength(7);
    await expect(collector.waitForHits(8, { timeoutMs: 50 })).rejects.toThrow('waitForHits: 7 of 8 hits after 50 ms');
  });

  it('serves the inspector page, self-contained', async () => {
    const res = await fetch(collector.url);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<title>mapp-s2s collector');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('can run without the inspector page', async () => {
    const bare = await startCollector({ inspector: false });
    try {
      expect((await fetch(bare.url)).status).toBe(404);
    } finally {
      await bare.close();
    }
  });

  it('closes idempotently, ending open event streams', async () => {
    const closed = new Promise<void>((resolve) => {
      request(`${collector.url}/api/events`, (res) => {
        res.resume();
        res.on('close', () => resolve());
        void collector.close();
      }).end();
    });
    await closed;
    await collector.close();
  });
});

describe('event stream resume', () => {
  it('replays the hits after Last-Event-ID on reconnect', async () => {
    const collector = await startCollector();
    try {
      await post(collector, [PAGE_VIEW, EVENT, ORDER]);
      const text = await new Promise<string>((resolve, reject) => {
        const req = request(`${collector.url}/api/events`, { headers: { 'last-event-id': '1' } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
            if (body.includes('id: 3\n')) {
              req.destroy();
              resolve(body);
            }
          });
        });
        req.on('error', reject);
        req.end();
      });
      expect([...text.matchAll(/^id: (\d+)$/gm)].map((m) => m[1])).toEqual(['2', '3']);
    } finally {
      await collector.close();
    }
  });
});
