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

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...GUARD, NEXT_BIN, ...args], { cwd: APP_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
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

describe('README quick start: Next.js proxy.ts, as written', () => {
  const collector = useCollector();
  let server: ChildProcess | undefined;
  let url = '';
  let serverOutput = '';

  beforeAll(async () => {
    rmSync(APP_DIR, { recursive: true, force: true });
    mkdirSync(join(APP_DIR, 'app'), { recursive: true });
    // The README's proxy.ts, byte for byte. It holds no TypeScript-only syntax, so it is kept as
    // proxy.js: a .ts file would make `next build` want @types/react, which this package lacks.
    writeFileSync(join(APP_DIR, 'proxy.js'), readmeBlock('### Next.js (`proxy.ts` on Node.js, or `middleware.ts` on the Edge runtime)'));
    writeFileSync(join(APP_DIR, 'package.json'), '{ "private": true, "type": "module", "dependencies": { "@mapp-s2s/next": "*" } }\n');
    // As installed: the app's node_modules holds the package (a link to this one, built).
    mkdirSync(join(APP_DIR, 'node_modules', '@mapp-s2s'), { recursive: true });
    symlinkSync(PACKAGE_DIR, join(APP_DIR, 'node_modules', '@mapp-s2s', 'next'), 'dir');
    writeFileSync(join(APP_DIR, 'next.config.mjs'), 'export default { poweredByHeader: false };\n');
    writeFileSync(join(APP_DIR, 'app', 'layout.jsx'), 'export default function Layout({ children }) {\n  return <html lang="en"><body>{children}</body></html>;\n}\n');
    writeFileSync(join(APP_DIR, 'app', 'page.jsx'), "export const dynamic = 'force-dynamic';\nexport default function Page() {\n  return <h1>Hello</h1>;\n}\n");
    await run(['build'], cleanEnv());
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [...GUARD, NEXT_BIN, 'start', '-H', '127.0.0.1', '-p', String(port)], {
      cwd: APP_DIR,
      env: cleanEnv({ NODE_ENV: 'production', MAPP_TRACK_ID: '123451234512345', MAPP_TRACK_DOMAIN: collector().url }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await (await fetch(`${url}/admin`)).arrayBuffer();
        break;
      } catch {
        if (Date.now() > deadline) throw new Error('next start did not answer within 60 s');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(APP_DIR, { recursive: true, force: true });
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
});
