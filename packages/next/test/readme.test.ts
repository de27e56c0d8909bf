import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROWSER_UA, freePort, readmeBlock, useCollector } from '@mapp-s2s/adapter-tests';

// One `next build` (about 20-60 s) runs in the setup hook.
jest.setTimeout(300_000);

const PACKAGE_DIR = join(__dirname, '..');
/** Inside the package, so `next`, `react` and `@mapp-s2s/next` resolve as in a user's app. */
const APP_DIR = join(PACKAGE_DIR, '.tmp', 'readme-app');
const NEXT_BIN = require.resolve('next/dist/bin/next', { paths: [PACKAGE_DIR] });
const GUARD = ['--require', join(__dirname, 'orphan-guard.cjs')];
const PAGES = 20;

const SHUTDOWN_DIR = join(PACKAGE_DIR, '.tmp', 'readme-shutdown-app');

function run(args: string[], env: NodeJS.ProcessEnv, dir = APP_DIR): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...GUARD, NEXT_BIN, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`next ${args.join(' ')} failed (exit ${code}):\n${output}`))));
  });
}

/** The environment without the test process's MAPP_* variables: the test sets its own. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NEXT_TELEMETRY_DISABLED: '1' };
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('MAPP_')) env[key] = value;
  return { ...env, ...extra };
}

/**
 * A minimal App Router app around `proxy` (kept as proxy.js: it holds no TypeScript-only syntax,
 * and a .ts file would make `next build` want @types/react, which this package lacks), built.
 */
async function buildApp(dir: string, proxy: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'app'), { recursive: true });
  writeFileSync(join(dir, 'proxy.js'), proxy);
  writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module", "dependencies": { "@mapp-s2s/next": "*" } }\n');
  // As installed: the app's node_modules holds the package (a link to this one, built).
  mkdirSync(join(dir, 'node_modules', '@mapp-s2s'), { recursive: true });
  symlinkSync(PACKAGE_DIR, join(dir, 'node_modules', '@mapp-s2s', 'next'), 'dir');
  writeFileSync(join(dir, 'next.config.mjs'), 'export default { poweredByHeader: false };\n');
  writeFileSync(join(dir, 'app', 'layout.jsx'), 'export default function Layout({ children }) {\n  return <html lang="en"><body>{children}</body></html>;\n}\n');
  writeFileSync(join(dir, 'app', 'page.jsx'), "export const dynamic = 'force-dynamic';\nexport default function Page() {\n  return <h1>Hello</h1>;\n}\n");
  await run(['build'], cleanEnv(), dir);
}

describe('README quick start: Next.js proxy.ts, as written', () => {
  const collector = useCollector();
  let server: ChildProcess | undefined;
  let url = '';
  let serverOutput = '';

  beforeAll(async () => {
    // The README's proxy.ts, byte for byte.
    await buildApp(APP_DIR, readmeBlock('### Next.js (`proxy.ts` on Node.js, or `middleware.ts` on the Edge runtime)'));
    const started = await startServer({});
    server = started.child;
    url = started.url;
    started.child.stdout?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    started.child.stderr?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
  });

  /** Clears the collector, requests `pages` pages, sends SIGTERM; resolves with the exit code. */
  async function visitThenTerminate(server: { child: ChildProcess; url: string }, pages: number): Promise<number | null> {
    collector().clear();
    for (let n = 0; n < pages; n += 1) {
      await (await fetch(`${server.url}/?n=${n}`, { headers: { 'user-agent': BROWSER_UA, accept: 'text/html' } })).text();
    }
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    return exited;
  }

  /** `next start` of the built app, with MAPP_* pointing at the collector; resolves once it answers. */
  async function startServer(env: Record<string, string>, dir = APP_DIR): Promise<{ child: ChildProcess; url: string; output: () => string }> {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [...GUARD, NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)], {
      cwd: dir,
      env: cleanEnv({ NODE_ENV: 'production', MAPP_TRACK_ID: '123451234512345', MAPP_TRACK_DOMAIN: collector().url, ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await (await fetch(`${origin}/admin`)).arrayBuffer();
        return { child, url: origin, output: () => output };
      } catch {
        if (Date.now() > deadline) throw new Error(`next start did not answer within 60 s:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(APP_DIR, { recursive: true, force: true });
    rmSync(SHUTDOWN_DIR, { recursive: true, force: true });
  });

  it('tracks every page view, and nothing under the excluded /admin', async () => {
    collector().clear();
    for (let n = 0; n < PAGES; n += 1) {
      const response = await fetch(`${url}/?n=${n}`, { headers: { 'user-agent': BROWSER_UA, accept: 'text/html' } });
      expect(response.status).toBe(200);
      await response.text();
    }
    await (await fetch(`${url}/admin/users`, { headers: { 'user-agent': BROWSER_UA, accept: 'text/html' } })).arrayBuffer();
    const hits = await collector()
      .waitForHits(PAGES, { timeoutMs: 20_000 })
      .catch((error: Error) => {
        throw new Error(`${error.message}; next start said:\n${serverOutput}`);
      });
    const pages = hits.map((hit) => Number(new URL(hit.params.pu ?? '').searchParams.get('n'))).sort((a, b) => a - b);
    expect(pages).toEqual(Array.from({ length: PAGES }, (_, n) => n));
    expect(collector().hits().filter((hit) => (hit.params.pu ?? '').includes('/admin'))).toEqual([]);
  });

  it('with MAPP_TRANSPORT=batch, SIGTERM (next start calls process.exit) delivers the queue or says what it lost', async () => {
    const batch = await startServer({ MAPP_TRANSPORT: 'batch' });
    const pages = 5;
    // The queue waits for its 2 s flush interval: SIGTERM comes first.
    await visitThenTerminate(batch, pages);
    const lost = /mapp-s2s: (\d+) hits? dropped \(closed\): the process exited before/.exec(batch.output());
    const reported = lost ? Number(lost[1]) : 0;
    if (reported > 0) expect(batch.output()).toContain('NEXT_MANUAL_SIG_HANDLE=true');
    // Every page view is accounted for: delivered before the exit, or reported lost.
    expect(collector().hits().length + reported).toBe(pages);
  });

  it("the README's shutdown recipe (NEXT_MANUAL_SIG_HANDLE=true) delivers the whole queue on SIGTERM", async () => {
    await buildApp(SHUTDOWN_DIR, readmeBlock('### Shutdown with `MAPP_TRANSPORT=batch`', join(PACKAGE_DIR, 'README.md')));
    const batch = await startServer({ MAPP_TRANSPORT: 'batch', NEXT_MANUAL_SIG_HANDLE: 'true' }, SHUTDOWN_DIR);
    expect(await visitThenTerminate(batch, 5)).toBe(0);
    expect(batch.output()).not.toContain('dropped');
    const delivered = collector().hits().map((hit) => Number(new URL(hit.params.pu ?? '').searchParams.get('n')));
    expect(delivered.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
  });
});
