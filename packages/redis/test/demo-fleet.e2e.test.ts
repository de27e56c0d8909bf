import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './support/outbox.js';

const ROOT = join(__dirname, '..', '..', '..');
// The demo compiles two shops and the CLI with tsx on start: slow on a busy 2-core machine.
jest.setTimeout(120_000);

const PAGE_HEADERS = {
  accept: 'text/html',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
};

describe('pnpm demo --fleet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mapp-demo-fleet-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs Redis, two shops, a shipper and the collector; a page of each shop reaches the inspector; Ctrl-C stops all', async () => {
    const child = spawn(process.execPath, ['scripts/demo.mjs', '--fleet', '--port', '0', '--shop-port', '0', '--db', join(dir, 'hits.sqlite')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const banner = /Shop 1:\s+(http:\/\/\S+?)\/\s[\s\S]*Shop 2:\s+(http:\/\/\S+?)\/\s[\s\S]*Redis:\s+(redis:\/\/\S+)\s[\s\S]*Inspector:\s+(http:\/\/\S+?)\/\s/;
      await until(() => banner.test(output) || child.exitCode !== null, 'the demo banner', 90_000);
      const [, shop1, shop2, redisUrl, inspector] = banner.exec(output) ?? [];
      expect(redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
      for (const [shop, sku] of [
        [shop1, 'sku-1'],
        [shop2, 'sku-3'],
      ] as const) {
        const page = await fetch(`${shop}/products/${sku}`, { headers: PAGE_HEADERS });
        expect(page.status).toBe(200);
        await page.arrayBuffer();
      }
      let hits: Array<{ params: Record<string, string> }> = [];
      await until(
        async () => {
          hits = ((await (await fetch(`${inspector}/api/hits`)).json()) as { hits: typeof hits }).hits;
          return hits.length >= 2;
        },
        'both page views in the collector, shipped from Redis',
        20_000,
      );
      expect(hits.map((hit) => hit.params['ba']).sort()).toEqual(['sku-1', 'sku-3']);
      expect(output).toMatch(/\[shipper\] .*shard \d acquired/);

      child.kill('SIGINT');
      await expect(exited).resolves.toBe(0);
      expect(output).toMatch(/\[shipper\] 2 hits sent in/);
      expect(output).toContain('Demo stopped.');
      await expect(fetch(`${shop1}/health`)).rejects.toThrow();
      await expect(fetch(`${inspector}/api/hits`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      child.stdout!.destroy();
      child.stderr!.destroy();
    }
  });
});
