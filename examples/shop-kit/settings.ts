import type { TrustProxy } from '@mapp-s2s/core';

/** What the shop reads from the environment. */
export interface ShopSettings {
  port: number;
  trackId: string;
  trackDomain: string;
  /** `redis`: fleet mode, hits go to a Redis Streams outbox (`@mapp-s2s/redis`) that `mapp-s2s ship --from` ships. */
  transport: 'direct' | 'batch' | 'spool' | 'redis';
  trustProxy: TrustProxy;
  spoolDir: string;
  /** With `redis`: `MAPP_REDIS_URL`, `MAPP_REDIS_STREAM`, `MAPP_REDIS_SHARDS`. */
  redis: { url: string; stream: string; shards: number };
  flushInterval: number | undefined;
}

const USAGE = 'Example: MAPP_TRACK_ID=123451234512345 MAPP_TRACK_DOMAIN=http://127.0.0.1:9700 pnpm --dir examples/<name> start';

/** `MAPP_TRUST_PROXY`: `true`/`false`, a hop count, or a comma-separated list of addresses/CIDRs/keywords. */
export function parseTrustProxy(value: string): TrustProxy {
  const text = value.trim();
  if (text === 'true') return true;
  if (text === 'false' || text === '') return false;
  if (/^\d+$/.test(text)) return Number(text);
  const list = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return list.length === 1 ? (list[0] as string) : list;
}

/** Reads the settings, or throws an error that says which variable is missing or wrong. */
export function readSettings(env: Readonly<Record<string, string | undefined>>): ShopSettings {
  const missing = ['MAPP_TRACK_ID', 'MAPP_TRACK_DOMAIN'].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`${missing.join(' and ')} must be set. ${USAGE}`);
  const transport = env['MAPP_TRANSPORT'] ?? 'batch';
  if (transport !== 'direct' && transport !== 'batch' && transport !== 'spool' && transport !== 'redis') {
    throw new Error(`MAPP_TRANSPORT must be direct, batch, spool or redis, got ${JSON.stringify(transport)}.`);
  }
  const shards = Number(env['MAPP_REDIS_SHARDS'] ?? 4);
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`MAPP_REDIS_SHARDS must be a whole number of shards, got ${JSON.stringify(env['MAPP_REDIS_SHARDS'])}.`);
  const port = Number(env['PORT'] ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${JSON.stringify(env['PORT'])}.`);
  const flush = env['MAPP_FLUSH_INTERVAL'];
  const flushInterval = flush === undefined || flush === '' ? undefined : Number(flush);
  if (flushInterval !== undefined && !(Number.isFinite(flushInterval) && flushInterval > 0)) {
    throw new Error(`MAPP_FLUSH_INTERVAL must be a number of milliseconds, got ${JSON.stringify(flush)}.`);
  }
  return {
    port,
    trackId: env['MAPP_TRACK_ID'] as string,
    trackDomain: env['MAPP_TRACK_DOMAIN'] as string,
    transport,
    trustProxy: parseTrustProxy(env['MAPP_TRUST_PROXY'] ?? 'loopback'),
    spoolDir: env['MAPP_SPOOL_DIR'] ?? './.spool',
    redis: { url: env['MAPP_REDIS_URL'] ?? 'redis://127.0.0.1:6379', stream: env['MAPP_REDIS_STREAM'] ?? 'mapp:hits', shards },
    flushInterval,
  };
}
