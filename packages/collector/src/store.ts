import Database from 'better-sqlite3';
import { hitSignals, parseClient, type ClientInfo } from './client.js';
import type { HitQuery, StoredHit } from './types.js';

/** A hit ready to be stored (everything but the id). */
export type NewHit = Omit<StoredHit, 'id'>;

/** Counts shown by the inspector and `/_control/stats`. */
export interface HitStats {
  total: number;
  byType: Record<StoredHit['type'], number>;
  /** Hits with at least one validation problem. */
  withProblems: number;
  /** Distinct visitors (`eid`). */
  visitors: number;
  /** Hits per minute for the last `minutes` minutes, oldest first (`minute` = ms epoch of its start). */
  perMinute: Array<{ minute: number; count: number }>;
  /** Hits by browser, OS and device type (most first; at most 8 each, the rest as `Other`). */
  clients: Record<'browser' | 'os' | 'device', Array<{ name: string; count: number }>>;
}

/** Extra filters of the HTTP API, on top of {@link HitQuery}. */
export interface StoreQuery extends HitQuery {
  /** Substring of the eid. */
  eidContains?: string;
  /** Case-insensitive substring of the page name. */
  pageNameContains?: string;
  /** Only hits with problems. */
  problemsOnly?: boolean;
  /** Only hits with an id greater than this. */
  afterId?: number;
  /** `asc` (default, oldest first) or `desc`. */
  order?: 'asc' | 'desc';
}

interface Row {
  id: number;
  received_at: number;
  track_id: string;
  via: 'wt' | 'batch';
  type: StoredHit['type'];
  raw: string;
  params: string;
  p: string;
  client_address: string;
  problems: string;
  client: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS hits (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at    INTEGER NOT NULL,            -- ms since epoch
  track_id       TEXT    NOT NULL,            -- as in the URL, comma list possible
  via            TEXT    NOT NULL,            -- 'wt' (GET) or 'batch' (POST line)
  type           TEXT    NOT NULL,            -- 'page' | 'event' | 'order'
  raw            TEXT    NOT NULL,            -- the line as received, 'wt?...' form
  params         TEXT    NOT NULL,            -- JSON object of decoded parameters
  p              TEXT    NOT NULL,            -- JSON array of the ten decoded p fields
  client_address TEXT    NOT NULL,            -- TCP peer of the carrying request
  problems       TEXT    NOT NULL,            -- JSON array of validation problems
  problem_count  INTEGER NOT NULL,
  eid            TEXT,                        -- params.eid, for filtering
  page_name      TEXT,                        -- p field 2, for filtering
  client         TEXT,                        -- JSON ClientInfo (browser, os, device...)
  browser        TEXT,                        -- client.browser, for the breakdown
  os             TEXT,                        -- client.os
  device         TEXT                         -- client.device
);
CREATE INDEX IF NOT EXISTS hits_eid ON hits (eid);
CREATE INDEX IF NOT EXISTS hits_page_name ON hits (page_name);
CREATE INDEX IF NOT EXISTS hits_type ON hits (type);
CREATE INDEX IF NOT EXISTS hits_received_at ON hits (received_at);
`;

/** SQLite-backed hit storage (better-sqlite3, WAL mode, prepared statements). */
export class HitStore {
  private readonly db: Database.Database;
  private readonly insertOne: Database.Statement;
  private readonly insertMany: (hits: readonly NewHit[]) => StoredHit[];
  private readonly countAll: Database.Statement;
  private readonly pageAfter: Database.Statement;
  private readonly countAfterId: Database.Statement;
  private readonly hasId: Database.Statement;
  private readonly maxId: Database.Statement;

  constructor(file: string) {
    this.db = new Database(file);
    if (file !== ':memory:') this.db.pragma('journal_mode = WAL');
    // Hits are test data: losing the last ones in a power cut is fine, speed is not optional.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.migrate();
    this.insertOne = this.db.prepare(
      `INSERT INTO hits (received_at, track_id, via, type, raw, params, p, client_address, problems, problem_count, eid, page_name, client, browser, os, device)
       VALUES (@receivedAt, @trackId, @via, @type, @raw, @params, @p, @clientAddress, @problems, @problemCount, @eid, @pageName, @client, @browser, @os, @device)`,
    );
    this.countAll = this.db.prepare('SELECT COUNT(*) AS n FROM hits');
    this.pageAfter = this.db.prepare('SELECT * FROM hits WHERE id > ? ORDER BY id ASC LIMIT ?');
    this.countAfterId = this.db.prepare('SELECT COUNT(*) AS n FROM hits WHERE id > ?');
    this.hasId = this.db.prepare('SELECT 1 FROM hits WHERE id = ?');
    this.maxId = this.db.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM hits');
    this.insertMany = this.db.transaction((hits: readonly NewHit[]) =>
      hits.map((hit) => {
        const info = this.insertOne.run({
          receivedAt: hit.receivedAt,
          trackId: hit.trackId,
          via: hit.via,
          type: hit.type,
          raw: hit.raw,
          params: JSON.stringify(hit.params),
          p: JSON.stringify(hit.p),
          clientAddress: hit.clientAddress,
          problems: JSON.stringify(hit.problems),
          problemCount: hit.problems.length,
          eid: hit.params['eid'] ?? null,
          pageName: hit.p[1] ?? null,
          client: JSON.stringify(hit.client),
          browser: hit.client.browser ?? null,
          os: hit.client.os ?? null,
          device: hit.client.device,
        });
        return { ...hit, id: Number(info.lastInsertRowid) };
      }),
    );
  }

  /**
   * A database file from before the client columns gets them, and its hits their client
   * (parsed from their own `X-WT-UA`: the carrying request's headers were not kept).
   */
  private migrate(): void {
    const columns = new Set((this.db.prepare('PRAGMA table_info(hits)').all() as Array<{ name: string }>).map((column) => column.name));
    for (const column of ['client', 'browser', 'os', 'device']) {
      if (!columns.has(column)) this.db.exec(`ALTER TABLE hits ADD COLUMN ${column} TEXT`);
    }
    const rows = this.db.prepare('SELECT id, params FROM hits WHERE client IS NULL').all() as Array<{ id: number; params: string }>;
    if (rows.length === 0) return;
    const update = this.db.prepare('UPDATE hits SET client = @client, browser = @browser, os = @os, device = @device WHERE id = @id');
    this.db.transaction(() => {
      for (const row of rows) {
        const client = parseClient(hitSignals(JSON.parse(row.params) as Record<string, string>), 'hit');
        update.run({ id: row.id, client: JSON.stringify(client), browser: client.browser ?? null, os: client.os ?? null, device: client.device });
      }
    })();
  }

  /** Stores hits in one transaction and returns them with their ids. */
  add(hits: readonly NewHit[]): StoredHit[] {
    return hits.length === 0 ? [] : this.insertMany(hits);
  }

  /** Number of stored hits. */
  count(): number {
    return (this.countAll.get() as { n: number }).n;
  }

  /**
   * The oldest `limit` hits with an id above `afterId`, oldest first: one page of a replay
   * (ids only grow, also across {@link clear}, so paging by the last id seen misses nothing).
   */
  after(afterId: number, limit: number): StoredHit[] {
    return (this.pageAfter.all(afterId, limit) as Row[]).map(toHit);
  }

  /** Number of hits with an id above `afterId`. */
  countAfter(afterId: number): number {
    return (this.countAfterId.get(afterId) as { n: number }).n;
  }

  /** `true` when the hit with this id is stored (not deleted by {@link clear}, not from another database). */
  has(id: number): boolean {
    return this.hasId.get(id) !== undefined;
  }

  /** Id of the newest stored hit, `0` when there is none. */
  newestId(): number {
    return (this.maxId.get() as { n: number }).n;
  }

  /** Hits matching `query`; with `limit`, the newest `limit` of them. */
  query(query: StoreQuery = {}): StoredHit[] {
    const where: string[] = [];
    const args: Record<string, unknown> = {};
    if (query.eid) {
      where.push('eid = @eid');
      args['eid'] = query.eid;
    }
    if (query.eidContains) {
      where.push("eid LIKE @eidLike ESCAPE '\\'");
      args['eidLike'] = like(query.eidContains);
    }
    if (query.pageName) {
      where.push('page_name = @pageName');
      args['pageName'] = query.pageName;
    }
    if (query.pageNameContains) {
      where.push("page_name LIKE @like ESCAPE '\\'");
      args['like'] = like(query.pageNameContains);
    }
    if (query.type) {
      where.push('type = @type');
      args['type'] = query.type;
    }
    if (query.problemsOnly) where.push('problem_count > 0');
    if (query.afterId !== undefined) {
      where.push('id > @afterId');
      args['afterId'] = query.afterId;
    }
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const limit = query.limit !== undefined && query.limit > 0 ? Math.floor(query.limit) : undefined;
    // Newest first inside the limit, then flipped for ascending order.
    const sql = `SELECT * FROM hits ${filter} ORDER BY id ${limit !== undefined || query.order === 'desc' ? 'DESC' : 'ASC'}${limit !== undefined ? ` LIMIT ${limit}` : ''}`;
    const rows = (this.db.prepare(sql).all(args) as Row[]).map(toHit);
    if (limit !== undefined && query.order !== 'desc') rows.reverse();
    return rows;
  }

  /** Counters and a per-minute histogram of the last `minutes` minutes. */
  stats(now: number, minutes = 30): HitStats {
    const byType: Record<StoredHit['type'], number> = { page: 0, event: 0, order: 0 };
    for (const row of this.db.prepare('SELECT type, COUNT(*) AS n FROM hits GROUP BY type').all() as Array<{ type: StoredHit['type']; n: number }>) {
      byType[row.type] = row.n;
    }
    const withProblems = (this.db.prepare('SELECT COUNT(*) AS n FROM hits WHERE problem_count > 0').get() as { n: number }).n;
    const visitors = (this.db.prepare('SELECT COUNT(DISTINCT eid) AS n FROM hits').get() as { n: number }).n;
    const start = Math.floor(now / 60_000) * 60_000 - (minutes - 1) * 60_000;
    const buckets = new Map<number, number>();
    const rows = this.db
      .prepare('SELECT (received_at / 60000) * 60000 AS minute, COUNT(*) AS n FROM hits WHERE received_at >= ? GROUP BY minute')
      .all(start) as Array<{ minute: number; n: number }>;
    for (const row of rows) buckets.set(row.minute, row.n);
    const perMinute = Array.from({ length: minutes }, (_, i) => {
      const minute = start + i * 60_000;
      return { minute, count: buckets.get(minute) ?? 0 };
    });
    const clients = { browser: this.breakdown('browser'), os: this.breakdown('os'), device: this.breakdown('device') };
    return { total: byType.page + byType.event + byType.order, byType, withProblems, visitors, perMinute, clients };
  }

  /** Hit counts by one client column, most first: the top 8, then the rest as `Other`. */
  private breakdown(column: 'browser' | 'os' | 'device'): Array<{ name: string; count: number }> {
    const rows = this.db.prepare(`SELECT COALESCE(${column}, 'Unknown') AS name, COUNT(*) AS count FROM hits GROUP BY name ORDER BY count DESC, name`).all() as Array<{ name: string; count: number }>;
    if (rows.length <= 8) return rows;
    const rest = rows.slice(7).reduce((sum, row) => sum + row.count, 0);
    return [...rows.slice(0, 7), { name: 'Other', count: rest }];
  }

  /** Deletes every hit. Ids are never reused (`AUTOINCREMENT`): new hits continue the count. */
  clear(): void {
    this.db.exec('DELETE FROM hits');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped. */
function like(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function toHit(row: Row): StoredHit {
  return {
    id: row.id,
    receivedAt: row.received_at,
    trackId: row.track_id,
    via: row.via,
    type: row.type,
    raw: row.raw,
    // Null-prototype, as validateLine() builds it: a parameter named `constructor` or
    // `__proto__` is data, and an absent one reads as undefined.
    params: Object.assign(Object.create(null) as Record<string, string>, JSON.parse(row.params) as Record<string, string>),
    p: JSON.parse(row.p) as string[],
    clientAddress: row.client_address,
    problems: JSON.parse(row.problems) as string[],
    client: row.client === null ? { device: 'unknown', source: 'none' } : (JSON.parse(row.client) as ClientInfo),
  };
}
