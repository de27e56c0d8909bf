import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, jest } from '@jest/globals';

const ROOT = join(__dirname, '..', '..', '..');

// The demo compiles the shop with tsx on start: slow on a busy 2-core machine.
jest.setTimeout(120_000);

/** Resolves with the first match of `pattern` in the child's output so far or to come. */
function waitForOutput(child: ChildProcess, output: () => string, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const match = pattern.exec(output());
      if (match) {
        child.stdout!.off('data', check);
        child.off('exit', onExit);
        resolve(match);
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`demo exited (${code}) before printing ${pattern}:\n${output()}`));
    child.stdout!.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('pnpm demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mapp-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('brings up shop and inspector, shows a shop page view in the collector, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['scripts/demo.mjs', '--port', '0', '--shop-port', '0', '--db', join(dir, 'hits.sqlite')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const [, shopUrl, inspectorUrl] = await waitForOutput(child, () => output, /Shop:\s+(http:\/\/\S+?)\/\s[\s\S]*Inspector:\s+(http:\/\/\S+?)\/\s/);

      const page = await fetch(`${shopUrl}/products/sku-2`, {
        headers: {
          accept: 'text/html',
          'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
          'sec-fetch-dest': 'document',
          'sec-fetch-mode': 'navigate',
        },
      });
      expect(page.status).toBe(200);
      await page.arrayBuffer();

      const inspector = await fetch(`${inspectorUrl}/`);
      expect(await inspector.text()).toContain('mapp-s2s collector');

      const hit = await pollUntil(
        'the page view in the collector',
        async () => {
          const { hits } = (await (await fetch(`${inspectorUrl}/api/hits?pageNameContains=products/sku-2`)).json()) as {
            hits: Array<{ type: string; params: Record<string, string>; problems: string[] }>;
          };
          return hits[0];
        },
        15_000,
      );
      expect(hit.type).toBe('page');
      expect(hit.params['ba']).toBe('sku-2');
      expect(hit.params['eid']).toMatch(/^\d{19}$/);

      child.kill('SIGINT');
      await expect(exited).resolves.toBe(0);
      expect(output).toContain('Demo stopped.');
      // Nothing is left listening: the shop process group and the collector are gone.
      await expect(fetch(`${shopUrl}/health`)).rejects.toThrow();
      await expect(fetch(`${inspectorUrl}/api/hits`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('stops everything when `pnpm demo` itself gets SIGTERM (no orphaned demo, shop or collector)', async () => {
    const child = spawn('pnpm', ['demo', '--port', '0', '--shop-port', '0', '--db', join(dir, 'hits-pnpm.sqlite')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const [, shopUrl, inspectorUrl] = await waitForOutput(child, () => output, /Shop:\s+(http:\/\/\S+?)\/\s[\s\S]*Inspector:\s+(http:\/\/\S+?)\/\s/);
      expect((await fetch(`${shopUrl}/health`)).status).toBe(200);
      // What a process manager or test harness does: signal the pnpm process only, not its group.
      child.kill('SIGTERM');
      await expect(exited).resolves.toBe(0);
      expect(output).toContain('Demo stopped.');
      await expect(fetch(`${shopUrl}/health`)).rejects.toThrow();
      await expect(fetch(`${inspectorUrl}/api/hits`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      // An orphaned demo would hold these pipes open and keep jest from finishing.
      child.stdout!.destroy();
      child.stderr!.destroy();
    }
  });
});
