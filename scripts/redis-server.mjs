/**
 * Starts Debian's `redis-server` on a free loopback port with AOF on (as a fleet would run it),
 * in a folder of its own (a temporary one unless given). Used by `pnpm demo --fleet` and part 7 of
 * the benchmarks (bench/lib/fleet.mjs).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resolves `{ url, port, pid, stop() }` once Redis accepts connections. `dir`: keep the AOF
 * there (emptied first with `fresh`); without it a temporary folder is used and removed.
 * `detached`: its own process group, so a Ctrl-C in the terminal does not stop it before the
 * processes that write to it had their say (the caller stops it last).
 */
export async function startRedis({ port, dir, fresh = false, detached = false } = {}) {
  const chosen = port ?? (await freePort());
  if (dir !== undefined && fresh) rmSync(dir, { recursive: true, force: true });
  if (dir !== undefined) mkdirSync(dir, { recursive: true });
  const folder = dir ?? mkdtempSync(join(tmpdir(), 'mapp-redis-'));
  const child = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--appendonly', 'yes', '--dir', folder, '--save', '', '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'], detached });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let out = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${out}`)), 10_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not be started (${error.message}); install it: apt-get install -y redis-server (scripts/setup.sh does)`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${out}`));
    });
    child.stdout.on('data', (data) => {
      out += data;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (data) => (out += data));
  });
  child.stdout.resume();
  return {
    url: `redis://127.0.0.1:${chosen}`,
    port: chosen,
    pid: child.pid,
    running: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      if (dir === undefined) rmSync(folder, { recursive: true, force: true });
    },
  };
}
