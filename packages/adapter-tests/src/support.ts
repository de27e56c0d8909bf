import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@mapp-s2s/core';
import type { RunningShop } from './types.js';

/** Listens on a free loopback port and returns the base URL and a close function. */
export async function listen(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Serves an example shop's request listener; closing stops the server, then flushes its tracker. */
export async function serveShop(handler: RequestListener, tracker: { close(options?: { timeout?: number }): Promise<void> }): Promise<RunningShop> {
  const server = await listen(handler);
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await tracker.close({ timeout: 2000 });
    },
  };
}

/** A logger that records what it was told. */
export function recordingLogger(): Logger & { warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    debug: () => undefined,
    warn: (message: string) => void warnings.push(message),
    error: (message: string) => void errors.push(message),
  };
}
