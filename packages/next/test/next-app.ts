import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { RunningShop, ShopEnv } from '@mapp-s2s/adapter-tests';

/** Where the example lives, and the two runtimes the e2e test builds. */
export const EXAMPLE_DIR = join(__dirname, '..', '..', '..', 'examples', 'next');
export type Runtime = 'node' | 'edge';

/** Build output of the e2e test, apart from a developer's own `.next`. */
const DIST_DIR = '.next-e2e';
const NEXT_BIN = require.resolve('next/dist/bin/next', { paths: [EXAMPLE_DIR] });
/** Makes spawned Next processes exit when this test process dies (see orphan-guard.cjs). */
const GUARD = ['--require', join(__dirname, 'orphan-guard.cjs')];

/** The app folder of a runtime: the example itself (proxy.ts) or its Edge copy (middleware.ts). */
export function appDir(runtime: Runtime): string {
  return runtime === 'node' ? EXAMPLE_DIR : join(EXAMPLE_DIR, '.edge');
}

/** Build outputs, copies and files `next build` itself writes: not sources. */
const NOT_SOURCES = new Set(['node_modules', '.next', '.next-e2e', '.edge', '.e2e-lock', 'next-env.d.ts']);

function newestMtime(dir: string, root = true): number {
  // A folder's own mtime changes when a file in it is added or deleted (a removed route); the
  // example's root changes with every lock and build folder, so it does not count.
  let newest = root ? 0 : statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (NOT_SOURCES.has(entry.name)) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path, false) : statSync(path).mtimeMs);
  }
  return newest;
}

/** `true` when the runtime's last e2e build is newer than the example's sources and the packages' dist. */
function isBuildFresh(runtime: Runtime): boolean {
  const buildId = join(appDir(runtime), DIST_DIR, 'BUILD_ID');
  if (!existsSync(buildId)) return false;
  const dists = ['core', 'next'].map((name) => join(__dirname, '..', '..', name, 'dist', 'index.js'));
  if (!dists.every((file) => existsSync(file))) return false;
  const newest = Math.max(newestMtime(EXAMPLE_DIR), ...dists.map((file) => statSync(file).mtimeMs));
  return statSync(buildId).mtimeMs > newest;
}

/** Every `next start` this process spawned and has not stopped yet. */
const running = new Set<ChildProcess>();

/** Runs a command to completion without blocking the event loop; rejects with its output on failure. */
function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed in ${cwd} (exit ${code}):\n${output}`))));
  });
}

/** Stops every `next start` still running, e.g. when a suite's setup timed out before it got the shop. */
export async function stopAllExamples(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

/**
 * The example imports the packages' `dist/` builds, as a customer would. CI builds them
 * before testing (scripts/setup.sh); locally, rebuild those older than their sources.
 */
async function ensurePackagesBuilt(): Promise<void> {
  for (const name of ['core', 'next']) {
    const dir = join(__dirname, '..', '..', name);
    const built = join(dir, 'dist', 'index.js');
    if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(dir, 'src'))) continue;
    await run('pnpm', ['--filter', `@mapp-s2s/${name}`, 'build'], dir);
  }
}

const LOCK_DIR = join(EXAMPLE_DIR, '.e2e-lock');
let lock: Promise<void> | undefined;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Several jest processes on one checkout (this e2e test, the reliability suite, developers)
 * must not build into the same folders at once: builds take this lock (a folder with the
 * owner's pid; a dead owner's lock is taken over). Polls with a deadline.
 */
function acquireLock(deadlineMs = 240000): Promise<void> {
  lock ??= (async () => {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      try {
        mkdirSync(LOCK_DIR);
        writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
        process.once('exit', releaseLock);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let owner = 0;
      try {
        owner = Number(readFileSync(join(LOCK_DIR, 'pid'), 'utf8'));
      } catch {
        // The owner has not written its pid yet, or died right after mkdir.
        if (Date.now() - statSync(LOCK_DIR, { throwIfNoEntry: false })!.mtimeMs > 10000) owner = -1;
      }
      if (owner === -1 || (owner > 0 && !isAlive(owner))) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another Next.js e2e run (pid ${owner}) still holds ${LOCK_DIR}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return lock;
}

function releaseLock(): void {
  lock = undefined;
  try {
    if (Number(readFileSync(join(LOCK_DIR, 'pid'), 'utf8')) === process.pid) rmSync(LOCK_DIR, { recursive: true, force: true });
  } catch {
    // not ours, or already gone
  }
}

const builds = new Map<Runtime, Promise<void>>();

/**
 * Runs `next build` for a runtime (the Edge one in the `.edge` copy) unless a build newer
 * than every source exists, e.g. from another jest worker: once per test run at most.
 */
export function buildExample(runtime: Runtime): Promise<void> {
  let pending = builds.get(runtime);
  if (!pending) {
    pending = (async () => {
      await acquireLock();
      try {
        await ensurePackagesBuilt();
        if (isBuildFresh(runtime)) return;
        if (runtime === 'edge') await run(process.execPath, [join(EXAMPLE_DIR, 'scripts', 'make-edge-variant.mjs')], EXAMPLE_DIR);
        // No MAPP_* at build time: the shops get theirs from `next start`, which proves that
        // Next does not inline them into the middleware.
        const buildEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MAPP_')));
        await run(process.execPath, [...GUARD, NEXT_BIN, 'build'], appDir(runtime), { ...buildEnv, NEXT_DIST_DIR: DIST_DIR, NEXT_TELEMETRY_DISABLED: '1' });
      } finally {
        releaseLock();
      }
    })();
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
  const child = spawn(process.execPath, [...GUARD, NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: appDir(runtime),
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
  running.add(child);
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  // `next start` serves from this very process (its title becomes next-server): no children to chase.
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
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
