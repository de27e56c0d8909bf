import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from '@jest/globals';
import { startCollector } from '../src/index.js';
import { ORDER, PAGE_VIEW, VISITOR_B } from './sample-lines.js';

const TRACK = '123451234512345';

describe('SQLite storage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'collector-db-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes hits to a WAL-mode file with the documented columns, kept across restarts', async () => {
    const file = join(dir, 'hits.sqlite');
    const first = await startCollector({ db: file });
    await fetch(`${first.url}/${TRACK}/batch`, { method: 'POST', body: `${PAGE_VIEW}\n${ORDER}\nwt?p=600,bad&eid=123` });
    await first.close();

    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const rows = db.prepare('SELECT id, track_id, via, type, raw, client_address, eid, page_name, problem_count, json_extract(params, \'$.oi\') AS oi, json_array_length(problems) AS n FROM hits ORDER BY id').all();
      expect(rows).toEqual([
        expect.objectContaining({ id: 1, track_id: TRACK, via: 'batch', type: 'page', raw: PAGE_VIEW, client_address: '127.0.0.1', page_name: 'shop.example.com/', problem_count: 0, n: 0 }),
        expect.objectContaining({ id: 2, type: 'order', eid: VISITOR_B, oi: 'ORD-1001', page_name: 'shop.example.com/checkout/confirmation' }),
        expect.objectContaining({ id: 3, eid: '123', page_name: 'bad', problem_count: 1, n: 1 }),
      ]);
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'hits' ORDER BY name").pluck().all();
      expect(indexes).toEqual(['hits_eid', 'hits_page_name', 'hits_received_at', 'hits_type']);
    } finally {
      db.close();
    }

    const second = await startCollector({ db: file });
    try {
      expect(second.hits().map((h) => h.id)).toEqual([1, 2, 3]);
      expect(second.hits({ eid: VISITOR_B })[0]!.params['ov']).toBe('52.50');
    } finally {
      await second.close();
    }
  });
});

describe('SQLite storage from before the client columns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'collector-db-old-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the columns and parses the stored hits\' client on start', async () => {
    const file = join(dir, 'old.sqlite');
    const old = new Database(file);
    old.exec(`CREATE TABLE hits (id INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER NOT NULL, track_id TEXT NOT NULL, via TEXT NOT NULL,
      type TEXT NOT NULL, raw TEXT NOT NULL, params TEXT NOT NULL, p TEXT NOT NULL, client_address TEXT NOT NULL, problems TEXT NOT NULL,
      problem_count INTEGER NOT NULL, eid TEXT, page_name TEXT)`);
    const ua = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
    old.prepare(`INSERT INTO hits (received_at, track_id, via, type, raw, params, p, client_address, problems, problem_count, eid, page_name)
      VALUES (1, ?, 'batch', 'page', 'wt?p=600,old', ?, '["600","old"]', '127.0.0.1', '[]', 0, NULL, 'old')`).run(TRACK, JSON.stringify({ p: '600,old', 'X-WT-UA': ua }));
    old.close();

    const collector = await startCollector({ db: file });
    try {
      expect(collector.hits()[0]!.client).toMatchObject({ browser: 'Mobile Safari', os: 'iOS', device: 'mobile', source: 'hit' });
      const stats = (await (await fetch(`${collector.url}/api/stats`)).json()) as { clients: { device: unknown } };
      expect(stats.clients.device).toEqual([{ name: 'mobile', count: 1 }]);
    } finally {
      await collector.close();
    }
  });
});
