/**
 * @mapp-s2s/redis: fleet mode. Many app processes append their hits to a Redis Streams
 * outbox (`redisStreamTransport`), and a few long-lived shippers (`createRedisShipper`, or
 * `mapp-s2s ship --from redis://…`) deliver them to Mapp in large batches.
 */
export { redisStreamTransport } from './transport.js';
export type { RedisStreamTransportOptions } from './transport.js';
export { DEFAULT_SHARDS, DEFAULT_STREAM, deadLetterKey, leaseKey, shardKey, shardOf } from './keys.js';
export type { RedisClientSettings } from './keys.js';
export { createRedisShipper } from './shipper.js';
export type { RedisShipper, RedisShipperEvent, RedisShipperOptions, RedisShipperStats } from './shipper.js';
