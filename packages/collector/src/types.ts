/**
 * Public contract of @mapp-s2s/collector: a local, Mapp-compatible tracking endpoint used by
 * tests, benchmarks and the demo. Other packages' tests depend on this shape.
 */
import type { ClientInfo } from './client.js';

export type { ClientInfo };

export interface FaultOptions {
  /** Answer every tracking request with this status (e.g. 500, 404, 429). */
  status?: number;
  /** Fraction (0..1) of tracking requests answered with `status` (default 500) instead of 200. */
  errorRate?: number;
  /** Delay before answering, in ms; at most 600,000 (10 minutes). */
  latencyMs?: number;
  /** `Retry-After` header value added to error answers: a whole number of seconds. */
  retryAfter?: number;
  /** Fraction (0..1) of tracking requests whose connection is destroyed without an answer. */
  dropRate?: number;
  /** Refuse all tracking requests, whatever the method (connection destroyed), for this many ms from now. */
  downForMs?: number;
  /** Seed for the `errorRate`/`dropRate` dice, to replay the same pattern. @default Math.random */
  seed?: number;
}

export interface CollectorOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** SQLite file. @default ':memory:' */
  db?: string;
  /** Accepted track ids; others get 404. @default [] (accept all 15-digit ids) */
  trackIds?: readonly string[];
  /** Initial faults. */
  faults?: FaultOptions;
  /** Serve the inspector page at `/`. @default true */
  inspector?: boolean;
  /** Log requests to stderr. @default false */
  verbose?: boolean;
  /**
   * More names the inspector, `/api/*` and `/_control/*` answer to, for a deployment reached
   * by another name (a container name, a proxy's host): `name` for any port, `name:port` for
   * one. Without them only `localhost`, `127.0.0.1`, `[::1]` and the bound host, with the
   * collector's port, are served (and any IP with that port when bound to `0.0.0.0`/`::`);
   * other `Host`s get `421`, so a DNS-rebinding page cannot read the stored hits. The tracking
   * endpoints answer any `Host`.
   * @default []
   */
  allowedHosts?: readonly string[];
  /**
   * Unread bytes a live-stream (`/api/events`) client may hold before it is cut off (a single
   * batch may pass it up to four times over). Each unread byte stays in the collector's memory.
   * @default 16 MiB
   */
  maxStreamBufferBytes?: number;
}

export interface StoredHit {
  /**
   * The order in which the collector stored the hit: the order its requests completed (the
   * lines of one batch in line order), which for concurrent or pipelined requests is not
   * necessarily the order they were sent in. Never reused, also after `clear()`.
   */
  id: number;
  /** ms since epoch. */
  receivedAt: number;
  trackId: string;
  /** `wt` (single GET) or `batch` (POST line). */
  via: 'wt' | 'batch';
  /** The raw line as received, `wt?...` form (the query string for GET hits, prefixed `wt?`). */
  raw: string;
  /**
   * Decoded query parameters (first value wins for repeated names). For a single GET, its
   * `X-WT-UA`, `X-WT-IP` and `X-WT-RQ` request headers too, over the parameters of the same name.
   */
  params: Record<string, string>;
  /** `p` split into its ten fields, decoded. */
  p: string[];
  /** Peer address of the HTTP request that carried the hit. */
  clientAddress: string;
  /** Validation problems (empty when valid). */
  problems: string[];
  /** `page`, `event`, `order` (derived). */
  type: 'page' | 'event' | 'order';
  /**
   * Browser, OS and device type, parsed from `X-WT-UA` (parameter, or a GET's header) and the
   * `X-WT-SEC-CH-UA*` client hints (or, for a hit that names none, from the carrying request's
   * `User-Agent` and `Sec-CH-UA*`).
   */
  client: ClientInfo;
}

export interface HitQuery {
  /** Exact ever ID. */
  eid?: string;
  /** Exact page name (`p` field 2). */
  pageName?: string;
  type?: StoredHit['type'];
  /** Keep only the newest `limit` matching hits (still returned oldest first). */
  limit?: number;
}

export interface Collector {
  /** e.g. `http://127.0.0.1:43121` */
  readonly url: string;
  readonly port: number;
  /** Stored hits, oldest first. */
  hits(query?: HitQuery): StoredHit[];
  /** Resolves once at least `count` hits are stored (rejects after `timeoutMs`, default 5000). */
  waitForHits(count: number, options?: { timeoutMs?: number }): Promise<StoredHit[]>;
  /** Count of tracking HTTP requests received (including faulted ones). */
  requestCount(): number;
  setFaults(faults: FaultOptions): void;
  clear(): void;
  /** Subscribe to stored hits; returns an unsubscribe function. */
  onHit(listener: (hit: StoredHit) => void): () => void;
  close(): Promise<void>;
}
