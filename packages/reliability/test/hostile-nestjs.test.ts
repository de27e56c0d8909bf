import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { defineHostileInputSuite, HOSTILE_TRACK_ID, type HostileShop } from '../src/hostile-suite.js';

const EXAMPLE_DIR = join(__dirname, '..', '..', '..', 'examples', 'nestjs');
const STARTUP_MS = 60_000;

/**
 * examples/nestjs as its README starts it (`node --import tsx src/server.ts`, the `start`
 * script without pnpm), in its own process: Nest needs legacy decorators, which this jest
 * project does not compile. `direct` transport: each hit leaves right after its response, so the
 * suite's sentinel page view marks "all sent".
 */
async function startNestShop(trackDomain: string, trustProxy: false | 'loopback', pixelMode: 'queue' | 'forward' = 'queue'): Promise<HostileShop> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: EXAMPLE_DIR,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: '0',
      MAPP_TRACK_ID: HOSTILE_TRACK_ID,
      MAPP_TRACK_DOMAIN: trackDomain,
      MAPP_TRANSPORT: 'direct',
      MAPP_TRUST_PROXY: trustProxy === false ? 'false' : trustProxy,
      MAPP_PIXEL_MODE: pixelMode,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = once(child, 'exit');
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`examples/nestjs did not listen within ${STARTUP_MS} ms:\n${output}`)), STARTUP_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`examples/nestjs exited before listening:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    drain: async () => undefined,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

defineHostileInputSuite({
  name: 'examples/nestjs (own process)',
  pixel: true,
  pixelForward: true,
  fuzzRuns: 100,
  hitTimeoutMs: 10_000,
  start: ({ trackDomain, trustProxy, pixelMode }) => startNestShop(trackDomain, trustProxy, pixelMode),
});
