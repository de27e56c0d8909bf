import { request } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
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

interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** A raw SSE client: keeps the events received; `until()` waits (with a deadline) for enough of them. */
interface SseClient {
  res: IncomingMessage;
  events: SseEvent[];
  until(what: string, done: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
}

function openStream(collector: Collector, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(`${collector.url}${path}`, { headers }, (res) => {
      const events: SseEvent[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const field = (name: string): string | undefined => new RegExp(`^${name}: (.*)$`, 'm').exec(block)?.[1];
          const event = field('event');
          if (event !== undefined) events.push({ id: field('id'), event, data: field('data') ?? '' });
        }
        for (const wake of [...waiters]) wake();
      });
      const until = (what: string, done: (events: SseEvent[]) => boolean, timeoutMs = 20_000): Promise<SseEvent[]> =>
        new Promise((resolveWait, rejectWait) => {
          const check = (): void => {
            if (!done(events)) return;
            clearTimeout(timer);
            waiters.delete(check);
            resolveWait(events);
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            rejectWait(new Error(`timed out waiting for ${what}; got ${events.length} events, last ${JSON.stringify(events.at(-1))?.slice(0, 200)}`));
          }, timeoutMs);
          waiters.add(check);
          check();
        });
      resolve({ res, events, until, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

const hitIds = (events: SseEvent[]): number[] => events.filter((e) => e.event === 'hit').map((e) => Number(e.id));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

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

  it('replays every hit after Last-Event-ID, far beyond 1,000, oldest first, also to a client that pauses, and then goes live', async () => {
    const collector = await startCollector();
    try {
      const padding = `&cp1=${'x'.repeat(250)}&cp2=${'y'.repeat(250)}&cp3=${'z'.repeat(250)}`;
      const batch = Array.from({ length: 1000 }, () => PAGE_VIEW + padding);
      for (let i = 0; i < 3; i++) await post(collector, batch);
      const stream = await openStream(collector, '/api/events', { 'last-event-id': '7' });
      await stream.until('the first replayed hits', (events) => hitIds(events).length > 0);
      // Stop reading: the collector has to wait for the client. Hits stored meanwhile come in order.
      stream.res.pause();
      await post(collector, batch.slice(0, 500));
      await post(collector, [EVENT]);
      stream.res.resume();
      const events = await stream.until('hits 8 to 3501', (all) => hitIds(all).at(-1) === 3501);
      expect(hitIds(events)).toEqual(range(8, 3501));
      expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ id: 3501, type: 'event' });
      await post(collector, [ORDER]);
      await stream.until('the live hit 3502', (all) => hitIds(all).at(-1) === 3502);
      expect(hitIds(stream.events)).toEqual(range(8, 3502));
      expect(stream.events.every((e) => e.event === 'hit')).toBe(true);
      stream.close();
    } finally {
      await collector.close();
    }
  });

  it('sends clear and then every stored hit when the hits the client saw were cleared meanwhile', async () => {
    const collector = await startCollector();
    try {
      await post(collector, [PAGE_VIEW, EVENT, ORDER]);
      collector.clear();
      await post(collector, [ANONYMOUS, PRODUCT_VIEW]);
      const stream = await openStream(collector, '/api/events', { 'last-event-id': '3' });
      const events = await stream.until('the two hits after the clear', (all) => hitIds(all).length === 2);
      expect(events.map((e) => [e.event, e.id])).toEqual([
        ['clear', undefined],
        ['hit', '4'],
        ['hit', '5'],
      ]);
      stream.close();
    } finally {
      await collector.close();
    }
  });

  it('with replayLimit, sends reload (with the newest id) instead of a longer replay, then goes live', async () => {
    const collector = await startCollector();
    try {
      await post(collector, [PAGE_VIEW, EVENT, ORDER, ANONYMOUS, PRODUCT_VIEW]);
      const capped = await openStream(collector, '/api/events?replayLimit=3', { 'last-event-id': '1' });
      await capped.until('the reload event', (all) => all.length > 0);
      await post(collector, [EVENT]);
      const events = await capped.until('the live hit', (all) => hitIds(all).length > 0);
      expect(events).toEqual([
        { id: '5', event: 'reload', data: '{"missed":4,"replayLimit":3}' },
        expect.objectContaining({ id: '6', event: 'hit' }),
      ]);
      capped.close();
      const within = await openStream(collector, '/api/events?replayLimit=4', { 'last-event-id': '2' });
      expect(hitIds(await within.until('hits 3 to 6', (all) => hitIds(all).length === 4))).toEqual([3, 4, 5, 6]);
      within.close();
    } finally {
      await collector.close();
    }
  });

  it('answers 400 to an invalid replayLimit or an unknown parameter of /api/events', async () => {
    const collector = await startCollector();
    try {
      for (const [query, error] of [
        ['replayLimit=-1', 'replayLimit must be a whole number (0 or more), got "-1"'],
        ['replayLimit=all', 'replayLimit must be a whole number (0 or more), got "all"'],
        ['limit=5', 'unknown parameter "limit" (known: replayLimit)'],
      ]) {
        const res = await fetch(`${collector.url}/api/events?${query}`);
        expect({ query, status: res.status, body: await res.json() }).toEqual({ query, status: 400, body: { error } });
      }
    } finally {
      await collector.close();
    }
  });
});

describe('hits API query validation', () => {
  let collector: Collector;
  beforeEach(async () => {
    collector = await startCollector();
    await post(collector, [PAGE_VIEW, EVENT, ORDER]);
  });
  afterEach(async () => {
    await collector.close();
  });

  it.each([
    ['type=bogus', 'type must be one of page, event, order, got "bogus"'],
    ['type=Page', 'type must be one of page, event, order, got "Page"'],
    ['order=up', 'order must be one of desc, asc, got "up"'],
    ['problems=yes', 'problems must be one of 1, true, 0, false, got "yes"'],
    ['limit=abc', 'limit must be a whole number of at least 1 (at most 10000 hits are returned), got "abc"'],
    ['limit=-5', 'limit must be a whole number of at least 1 (at most 10000 hits are returned), got "-5"'],
    ['limit=0', 'limit must be a whole number of at least 1 (at most 10000 hits are returned), got "0"'],
    ['limit=2.5', 'limit must be a whole number of at least 1 (at most 10000 hits are returned), got "2.5"'],
    ['afterId=x', 'afterId must be a whole number (0 or more), got "x"'],
    ['typ=page', 'unknown parameter "typ" (known: eid, eidContains, pageName, pageNameContains, type, problems, limit, order, afterId)'],
  ])('answers 400 to %s, naming the parameter and what it takes', async (query, error) => {
    const res = await fetch(`${collector.url}/api/hits?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error });
  });

  it('still takes valid and empty values (an empty value is no filter)', async () => {
    const ids = async (query: string): Promise<number[]> => {
      const res = await fetch(`${collector.url}/api/hits?${query}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { hits: StoredHit[] }).hits.map((hit) => hit.id);
    };
    expect(await ids('type=&eid=&problems=&order=&limit=&afterId=')).toEqual([3, 2, 1]);
    expect(await ids('type=order&problems=0')).toEqual([3]);
    expect(await ids('order=desc&limit=99999&afterId=1')).toEqual([3, 2]);
    expect(await ids('problems=true')).toEqual([]);
  });
});
