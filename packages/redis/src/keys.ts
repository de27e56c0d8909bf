/**
 * Key names and the visitor-to-shard mapping, shared by the transport (writer) and the
 * shipper (reader): both sides must agree on them, so they live in one place.
 */

/** Default stream name: the shard keys are `{mapp:hits:0}`, `{mapp:hits:1}`, … */
export const DEFAULT_STREAM = 'mapp:hits';
/** Default number of shards. */
export const DEFAULT_SHARDS = 4;
/** Largest number of shards (each is a stream key, a lease and a reading connection per shipper). */
export const MAX_SHARDS = 256;
/** Default Redis URL. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Stream entry fields: `n` = line count, `l` = the lines joined by `\n`. */
export const FIELD_COUNT = 'n';
export const FIELD_LINES = 'l';

/**
 * The stream key of one shard. Each shard key is its own hash tag (`{mapp:hits:3}`), so in a
 * Redis Cluster the shards spread over the nodes while a shard's lease (`{mapp:hits:3}:lease`)
 * lives in the same slot as its stream.
 */
export function shardKey(stream: string, shard: number): string {
  return `{${stream}:${shard}}`;
}

/** The lease key of one shard (held by the one shipper that consumes it). */
export function leaseKey(stream: string, shard: number): string {
  return `${shardKey(stream, shard)}:lease`;
}

/** Where batches that Mapp rejected for good (non-retryable 4xx/3xx) go, with their reason. */
export function deadLetterKey(stream: string): string {
  return `${stream}:dead`;
}

/** The sorted set of live shippers (score: last heartbeat, ms), for sharing the shards fairly. */
export function shippersKey(stream: string): string {
  return `${stream}:shippers`;
}

/** FNV-1a (the batch engine's lane hash): cheap and stable across processes and restarts. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The shard of a visitor's ordering key (eid, else ceid, else IP + UA, as the tracker builds
 * it). Every app process maps a visitor to the same shard as long as `shards` is the same.
 */
export function shardOf(key: string, shards: number): number {
  return shards === 1 ? 0 : hashKey(key) % shards;
}

/** Validates the stream name and shard count shared by both sides; throws a message naming the option. */
export function checkStreamOptions(where: string, stream: string, shards: number): void {
  if (typeof stream !== 'string' || stream === '' || /[\s{}]/.test(stream)) {
    throw new TypeError(`${where}: invalid option \`stream\`: received ${JSON.stringify(stream)}. Use a non-empty name without spaces or braces, e.g. 'mapp:hits'.`);
  }
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new TypeError(`${where}: invalid option \`shards\`: received ${String(shards)}. Use an integer from 1 to ${MAX_SHARDS}, the same in every app process and shipper.`);
  }
}

/**
 * More node-redis `createClient` options (TLS in `socket`, `username`, `password`, `database`,
 * ...), passed through as given; `url` and the options the outbox relies on win. Typed loosely
 * on purpose: this package's declarations do not pull in node-redis's (which need
 * `esModuleInterop` under `moduleResolution: node10` without `skipLibCheck`).
 */
export interface RedisClientSettings {
  username?: string;
  password?: string;
  database?: number;
  name?: string;
  socket?: Record<string, unknown>;
  [option: string]: unknown;
}
