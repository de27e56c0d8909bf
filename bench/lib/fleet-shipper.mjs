/**
 * Part 7's shipper (child process): `createRedisShipper` from the built @mapp-s2s/redis,
 * shipping one stream into one sink listener. argv: <redis url> <stream> <sink origin>
 */
import { createRedisShipper } from '@mapp-s2s/redis';
import { serveParent } from './child.mjs';
import { TRACK_ID } from './constants.mjs';

const [url, stream, origin] = process.argv.slice(2);
const shipper = createRedisShipper({ url, stream, shards: 4, consumer: `bench-${process.pid}`, trackId: TRACK_ID, trackDomain: origin, batchSize: 5000, leaseMs: 30_000 });
await shipper.ready;
serveParent({
  stats: () => shipper.stats(),
  cpu: () => process.cpuUsage(),
  stop: () => shipper.stop({ timeout: 10_000 }),
});
