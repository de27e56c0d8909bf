// Types only: @mapp-s2s/redis (and the redis client) is an optional peer, loaded at run time.
import type { RedisShipperEvent, RedisShipperStats } from '@mapp-s2s/redis';
import { parseCommandArgs, untilStopped, type CommandIo } from '../io.js';
import { boundedInt, FLAG_BOUNDS, UsageError } from './flags.js';

/** The optional package that `mapp-s2s ship --from redis://…` runs. */
export const REDIS_PACKAGE = '@mapp-s2s/redis';

/** What the command uses of {@link REDIS_PACKAGE}. */
export type RedisModule = Pick<typeof import('@mapp-s2s/redis'), 'createRedisShipper'>;

/** Loads the Redis package; a separate function so a CLI without it still starts. */
export function loadRedisPackage(): Promise<RedisModule> {
  return import('@mapp-s2s/redis');
}

/** `--help` text of `mapp-s2s ship --from redis://…`. */
export const SHIP_REDIS_USAGE = `Usage: mapp-s2s ship --from redis://host:6379 --stream <name> --group <group> --consumer <name>
                     --track-id <id> --track-domain <domain> [options]

Fleet mode: runs until SIGTERM/SIGINT, shipping the hits that app processes append to a
Redis Streams outbox (redisStreamTransport from @mapp-s2s/redis) to Mapp's batch endpoint.
Each shard is shipped by one shipper at a time (a lease in Redis); start one or more per
fleet, each with its own --consumer name. After a 2xx the entries are acknowledged and
deleted; a batch Mapp rejects (4xx) goes to the dead-letter stream <stream>:dead with its
reason; failures are retried with backoff. Entries a dead shipper left pending are claimed
after --claim-idle. On SIGTERM the in-flight batch is finished, then it exits.
Needs the optional package @mapp-s2s/redis installed next to the CLI.

Options:
  --from <url>              Redis URL, redis:// or rediss:// (env MAPP_REDIS_URL)
  --stream <name>           Stream name, as in the app's transport (default mapp:hits)
  --shards <n>              Shards, as in the app's transport (default 4)
  --group <name>            Consumer group (default mapp-shippers)
  --consumer <name>         This shipper's name, unique in the group (default <host>-<pid>)
  --track-id <id>           15-digit track id, or several comma-separated (env MAPP_TRACK_ID)
  --track-domain <host>     Track domain or an origin such as http://127.0.0.1:9700
                            (env MAPP_TRACK_DOMAIN)
  --batch-size <lines>      Lines per POST (default 5000, max 10000)
  --timeout <ms>            Per-request timeout (default 10000, max 600000)
  --lease <ms>              Shard lease; a dead shipper's shards move after it; longer
                            than --timeout (default 30000)
  --claim-idle <ms>         Claim entries pending this long at another consumer
                            (default: --lease)
  --backoff-max <ms>        Largest retry delay (default 30000)
  --progress <ms>           Print counters this often (default 10000; 0 = only at exit)
  --json                    Print events and counters as JSON lines on stdout
  --quiet                   Print only errors and the final counters
  -h, --help                Show this help

Exit codes:
  0  stopped by SIGTERM/SIGINT after finishing its in-flight batches
  2  usage error, or @mapp-s2s/redis is not installed
`;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return number;
}

function describeStats(stats: RedisShipperStats, seconds: number): string {
  const rate = seconds > 0 ? Math.round(stats.sent / seconds) : 0;
  return `${stats.sent} hits sent in ${stats.batches} batches (${rate}/s), ${stats.deadLettered} dead-lettered, ${stats.invalid} malformed, ${stats.retries} retries, ${stats.claimed} entries claimed, ${stats.redisErrors} Redis errors; shards [${stats.shards.join(',')}]`;
}

/** Injectable parts of {@link runRedisShipCommand} for tests. */
export interface RedisShipCommandIo extends CommandIo {
  /** Stops the shipper when aborted (besides SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** @default loadRedisPackage */
  loadRedis?: () => Promise<RedisModule>;
}

/**
 * `mapp-s2s ship --from redis://…`: the long-lived fleet shipper. Resolves with the exit code
 * once stopped; never throws for user errors.
 */
export async function runRedisShipCommand(argv: string[], io: RedisShipCommandIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const parsed = parseCommandArgs('ship', SHIP_REDIS_USAGE, {
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      from: { type: 'string' },
      stream: { type: 'string' },
      shards: { type: 'string' },
      group: { type: 'string' },
      consumer: { type: 'string' },
      'track-id': { type: 'string' },
      'track-domain': { type: 'string' },
      'batch-size': { type: 'string' },
      timeout: { type: 'string' },
      lease: { type: 'string' },
      'claim-idle': { type: 'string' },
      'backoff-max': { type: 'string' },
      progress: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }, { stdout, stderr });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const url = values.from ?? env.MAPP_REDIS_URL;
  if (url === undefined || !/^rediss?:\/\//.test(url)) {
    stderr.write(`mapp-s2s ship: --from must be a redis:// or rediss:// URL, got ${JSON.stringify(url ?? '')}\nRun "mapp-s2s ship --from redis:// --help" for the options.\n`);
    return 2;
  }

  let redis: RedisModule;
  try {
    redis = await (io.loadRedis ?? loadRedisPackage)();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    stderr.write(
      `mapp-s2s ship: shipping from Redis needs the optional package ${REDIS_PACKAGE} (${reason}).\nInstall it next to the CLI: npm install ${REDIS_PACKAGE} (or pnpm add ${REDIS_PACKAGE}).\n`,
    );
    return 2;
  }

  const json = values.json === true;
  const quiet = values.quiet === true;
  const say = (text: string, data: Record<string, unknown>): void => {
    if (json) stdout.write(`${JSON.stringify(data)}\n`);
    else if (!quiet) stderr.write(`mapp-s2s ship: ${text}\n`);
  };
  let lastRetryNote = 0;
  const onEvent = (event: RedisShipperEvent): void => {
    if (json) {
      stdout.write(`${JSON.stringify(event)}\n`);
      return;
    }
    // A setup that can lose hits is said even with --quiet.
    if (event.type === 'warning') {
      stderr.write(`${event.message}\n`);
      return;
    }
    if (quiet) return;
    if (event.type === 'lease') stderr.write(`mapp-s2s ship: shard ${event.shard} ${event.action}\n`);
    else if (event.type === 'claimed') stderr.write(`mapp-s2s ship: shard ${event.shard}: claimed ${event.entries} entries left pending by another shipper\n`);
    else if (event.type === 'dead-letter') stderr.write(`mapp-s2s ship: shard ${event.shard}: ${event.lines} hits rejected by Mapp (${event.reason}); moved to the dead-letter stream\n`);
    else if (event.type === 'invalid') stderr.write(`mapp-s2s ship: shard ${event.shard} entry ${event.entry}: ${event.problem}; dead-lettered\n`);
    else if ((event.type === 'retry' || event.type === 'redis-error') && Date.now() - lastRetryNote > 5000) {
      lastRetryNote = Date.now();
      stderr.write(event.type === 'retry' ? `mapp-s2s ship: Mapp did not take ${event.lines} hits (${event.reason}); retrying with backoff\n` : `mapp-s2s ship: ${event.reason}; retrying\n`);
    }
  };

  let shipper;
  let progressMs: number;
  try {
    progressMs = values.progress === undefined ? 10_000 : Number(values.progress);
    if (!Number.isInteger(progressMs) || progressMs < 0) throw new UsageError(`--progress must be a whole number of ms, got "${values.progress}"`);
    const numbers = {
      shards: positiveInt('shards', values.shards),
      batchSize: values['batch-size'] === undefined ? undefined : boundedInt('batch-size', values['batch-size'], 5000, FLAG_BOUNDS.batchSize),
      timeout: values.timeout === undefined ? undefined : boundedInt('timeout', values.timeout, 10_000, FLAG_BOUNDS.timeout),
      leaseMs: positiveInt('lease', values.lease),
      claimIdleMs: positiveInt('claim-idle', values['claim-idle']),
      backoffMax: positiveInt('backoff-max', values['backoff-max']),
    };
    shipper = redis.createRedisShipper({
      url,
      env,
      onEvent,
      ...(values.stream === undefined ? {} : { stream: values.stream }),
      ...(values.group === undefined ? {} : { group: values.group }),
      ...(values.consumer === undefined ? {} : { consumer: values.consumer }),
      ...(values['track-id'] === undefined ? {} : { trackId: values['track-id'] }),
      ...(values['track-domain'] === undefined ? {} : { trackDomain: values['track-domain'] }),
      ...Object.fromEntries(Object.entries(numbers).filter(([, value]) => value !== undefined)),
      ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
    });
  } catch (error) {
    const message = (error as Error).message
      .replace(/^@mapp-s2s\/redis shipper: /, '')
      .replace(/^mapp-s2s: /, '')
      .split('`trackId`')
      .join('--track-id')
      .split('`trackDomain`')
      .join('--track-domain')
      .split('`leaseMs`')
      .join('--lease')
      .split('`timeout`')
      .join('--timeout');
    stderr.write(`mapp-s2s ship: ${message}\nRun "mapp-s2s ship --from redis:// --help" for the options.\n`);
    return 2;
  }

  const started = Date.now();
  const progress =
    progressMs > 0
      ? setInterval(() => {
          const stats = shipper.stats();
          say(describeStats(stats, (Date.now() - started) / 1000), { type: 'progress', ...stats });
        }, progressMs)
      : undefined;
  progress?.unref();
  say(`shipping from ${url.replace(/\/\/[^@/]*@/, '//')} as consumer ${values.consumer ?? '(host-pid)'}`, { type: 'started', pid: process.pid });

  await untilStopped(io.signal);
  if (progress !== undefined) clearInterval(progress);
  say('stopping: finishing the batches in flight', { type: 'stopping' });
  const final = await shipper.stop();
  const seconds = (Date.now() - started) / 1000;
  if (json) stdout.write(`${JSON.stringify({ type: 'stopped', ...final })}\n`);
  else stdout.write(`${describeStats(final, seconds)}\n`);
  return 0;
}
