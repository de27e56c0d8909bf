/** Policies under which a full Redis deletes keys without a TTL: the outbox's streams among them. */
const EVICTS_ANY_KEY = /^allkeys-/;

/**
 * The warning to log when the Redis behind `target` may evict undelivered hits: its
 * `maxmemory-policy` is an `allkeys-*` one and `maxmemory` is set. `info` is the text of
 * `INFO memory`. `undefined` when the policy keeps every key (`noeviction`, the `volatile-*`
 * policies: the outbox's streams have no TTL) or when nothing could be read (managed services
 * may rename or restrict `INFO`).
 * @internal
 */
export function evictionWarning(info: string, target: string, who: string): string | undefined {
  const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
  const maxMemory = Number(/^maxmemory:(\d+)/m.exec(info)?.[1] ?? '0');
  if (policy === undefined || !EVICTS_ANY_KEY.test(policy) || !(maxMemory > 0)) return undefined;
  return (
    `${who}: Redis at ${target} runs with maxmemory-policy ${policy} and maxmemory ${maxMemory} bytes: when it is full it deletes keys, ` +
    'undelivered hits included, without telling anyone. Set maxmemory-policy noeviction: a full Redis then refuses writes, ' +
    'which are retried, counted and reported instead.'
  );
}

/** Minimal client surface to read `INFO memory`. */
interface InfoClient {
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * Reads `INFO memory` once the client is ready and hands a warning to `warn` when Redis may
 * evict the outbox (see {@link evictionWarning}); each distinct warning once per client. Never
 * throws: a Redis that does not answer `INFO` is not checked.
 * @internal
 */
export function watchEvictionPolicy(client: InfoClient & { on(event: 'ready', listener: () => void): unknown }, target: string, who: string, warn: (message: string) => void): void {
  const warned = new Set<string>();
  client.on('ready', () => {
    client.sendCommand(['INFO', 'memory']).then(
      (reply) => {
        const message = typeof reply === 'string' ? evictionWarning(reply, target, who) : undefined;
        if (message === undefined || warned.has(message)) return;
        warned.add(message);
        warn(message);
      },
      () => undefined,
    );
  });
}
