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
