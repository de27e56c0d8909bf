import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { RunningShop, ShopEnv } from '@mapp-s2s/adapter-tests';

/** Where the example lives, and the two runtimes the e2e test builds. */
export const EXAMPLE_DIR = join(__dirname, '..', '..', '..', 'examples', 'next');
export type Runtime = 'node' | 'edge';

/** Build output of the e2e test, apart from a developer's own `.next`. */
const DIST_DIR = '.next-e2e';
const NEXT_BIN = require.resolve('next/dist/bin/next', { paths: [EXAMPLE_DIR] });

/** The app folder of a runtime: the example itself (proxy.ts) or its Edge copy (middleware.ts). */
export function appDir(runtime: Runtime): string {
  return runtime === 'node' ? EXAMPLE_DIR : join(EXAMPLE_DIR, '.edge');
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}\n${result.stderr}`);
}

/**
 * The example imports the packages' `dist/` builds, as a customer would. CI builds them
 * before testing (scripts/setup.sh); locally, rebuild those older than their sources.
 */
function ensurePackagesBuilt(): void {
  for (const name of ['core', 'next']) {
    const dir = join(__dirname, '..', '..', name);
    const built = join(dir, 'dist', 'index.js');
    if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(dir, 'src'))) continue;
    run('pnpm', ['--filter', `@mapp-s2s/${name}`, 'build'], dir);
  }
}

const builds = new Map<Runtime, Promise<void>>();

/** Runs `next build` once per runtime and test run (the Edge one in the `.edge` copy). */
export function buildExample(runtime: Runtime): Promise<void> {
  let pending = builds.get(runtime);
  if (!pending) {
    pending = Promise.resolve().then(() => {
      ensurePackagesBuilt();
      if (runtime === 'edge') run(process.execPath, [join(EXAMPLE_DIR, 'scripts', 'make-edge-variant.mjs')], EXAMPLE_DIR);
      run(process.execPath, [NEXT_BIN, 'build'], appDir(runtime), { ...process.env, NEXT_DIST_DIR: DIST_DIR, NEXT_TELEMETRY_DISABLED: '1' });
    });
    builds.set(runtime, pending);
  }
  return pending;
}

/** A free loopback port chosen by the OS. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves once the server answers, polling with a deadline; rejects early if it exits. */
async function waitUntilServing(url: string, child: ChildProcess, output: () => string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`next start exited early:\n${output()}`);
    try {
      const response = await fetch(`${url}/api/status`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`next start did not answer within ${deadlineMs} ms:\n${output()}`);
}

/** Starts `next start` for a built runtime with the suite's settings in the environment. */
export async function startExample(runtime: Runtime, env: ShopEnv): Promise<RunningShop> {
  await buildExample(runtime);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: appDir(runtime),
    detached: true, // its own process group, so close() ends every child it starts
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_DIST_DIR: DIST_DIR,
      NEXT_TELEMETRY_DISABLED: '1',
      MAPP_TRACK_ID: env.trackId,
      MAPP_TRACK_DOMAIN: env.trackDomain,
      MAPP_TRANSPORT: env.transport,
      MAPP_TRUST_PROXY: Array.isArray(env.trustProxy) ? env.trustProxy.join(',') : String(env.trustProxy),
    },
  });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    await exited;
  };
  try {
    await waitUntilServing(url, child, () => log, 60000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, close: stop };
}
