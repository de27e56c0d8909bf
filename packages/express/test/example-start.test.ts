import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SHOP_DIR = resolve(__dirname, '../../../examples/express');

/** Resolves true when something accepts connections on the port, false when refused. */
function isListening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      done(true);
    });
    socket.on('error', () => done(false));
  });
}

describe('examples/express started as the issue says (`pnpm --dir examples/express start`)', () => {
  let spoolDir: string;
  beforeEach(() => {
    spoolDir = mkdtempSync(join(tmpdir(), 'mapp-example-start-'));
  });
  afterEach(() => {
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it('shuts down cleanly on SIGTERM to pnpm: no orphan server, every tracked page in a finished spool file', async () => {
    const child = spawn('pnpm', ['--dir', SHOP_DIR, 'start'], {
      env: { ...process.env, PORT: '0', MAPP_TRACK_ID: '123451234512345', MAPP_TRACK_DOMAIN: 'http://127.0.0.1:9', MAPP_TRANSPORT: 'spool', MAPP_SPOOL_DIR: spoolDir, MAPP_TRUST_PROXY: 'loopback' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const port = await new Promise<number>((done, fail) => {
      const onData = (): void => {
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (match) done(Number(match[1]));
      };
      child.stdout.on('data', onData);
      void exited.then(() => fail(new Error(`the shop exited before listening:\n${output}`)));
    });
    const pages = ['/', '/products/sku-1', '/cart'];
    for (const path of pages) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0', accept: 'text/html' } });
      expect(res.status).toBe(200);
      await res.text();
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('SIGTERM, closing');
    expect(await isListening(port)).toBe(false);
    const files = readdirSync(spoolDir);
    expect(files.filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const lines = files.filter((name) => name.endsWith('.log')).flatMap((name) => readFileSync(join(spoolDir, name), 'utf8').split('\n').filter((line) => line !== ''));
    expect(lines).toHaveLength(pages.length);
  }, 60_000);

  it('refuses an invalid MAPP_TRUST_PROXY with one clear line and exit 1, not a stack trace', async () => {
    const child = spawn('pnpm', ['--silent', '--dir', SHOP_DIR, 'start'], {
      env: { ...process.env, PORT: '0', MAPP_TRACK_ID: '123451234512345', MAPP_TRACK_DOMAIN: 'http://127.0.0.1:9', MAPP_TRUST_PROXY: 'loopback, not-an-ip' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', (exitCode) => done(exitCode)));
    expect(code).toBe(1);
    expect(stderr).toContain('example-express-shop: mapp-s2s: invalid option `trustProxy`: received ["loopback","not-an-ip"]');
    expect(stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});
