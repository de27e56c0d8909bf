import { createClient } from '@redis/client';

/** A plain node-redis client for a test to look into Redis (RESP2 raw replies). */
export async function inspectRedis(url: string): Promise<ReturnType<typeof createClient> & { raw<T>(args: string[]): Promise<T> }> {
  const client = createClient({ url, RESP: 2 } as Parameters<typeof createClient>[0]);
  client.on('error', () => undefined);
  await client.connect();
  return Object.assign(client, { raw: <T>(args: string[]) => client.sendCommand(args) as Promise<T> });
}

/** Polls `check` every 20 ms until it holds, failing with `what` after `timeoutMs`. */
export function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = async (): Promise<void> => {
      try {
        if (await check()) return resolve();
      } catch {
        // not yet
      }
      if (Date.now() > deadline) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      setTimeout(() => void poll(), 20);
    };
    void poll();
  });
}
