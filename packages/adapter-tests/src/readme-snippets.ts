import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The repository's README, whose quick-start snippets the tests run as written. */
export const ROOT_README = resolve(__dirname, '../../../README.md');

/** The first ```ts block after `heading` (a whole line of the README), exactly as written. */
export function readmeBlock(heading: string, readme = ROOT_README): string {
  const text = readFileSync(readme, 'utf8');
  const at = text.split('\n').findIndex((line) => line.trim() === heading);
  if (at === -1) throw new Error(`README has no heading ${JSON.stringify(heading)}`);
  const rest = text.split('\n').slice(at + 1).join('\n');
  const match = /```ts\n([\s\S]*?)```/.exec(rest);
  if (!match?.[1]) throw new Error(`no ts code block after ${JSON.stringify(heading)}`);
  return match[1];
}

/**
 * Replaces `from` by `to` in a snippet, failing loudly when the snippet no longer holds
 * `from`: the only changes a test makes to a README snippet are the endpoint and the port.
 */
export function substitute(code: string, from: string, to: string): string {
  if (!code.includes(from)) throw new Error(`the README snippet no longer contains ${JSON.stringify(from)}`);
  return code.split(from).join(to);
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** A snippet running as its own Node process. */
export interface RunningSnippet {
  /** stdout and stderr so far. */
  output(): string;
  /** Settles when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Writes `code` as an ES module into `<packageDir>/.tmp/` (so its imports resolve from that
 * package, as in a user's app) and runs it with tsx. `MAPP_*` variables of the test process
 * are removed: the snippet's own options decide.
 */
export function runSnippet(code: string, packageDir: string, name: string, env: Record<string, string> = {}): RunningSnippet {
  const dir = join(packageDir, '.tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${process.pid}-${Date.now()}.mts`);
  writeFileSync(file, code);
  const cleanEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('MAPP_') && value !== undefined) cleanEnv[key] = value;
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: packageDir, env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal, atMs: Date.now() - started }));
  });
  return {
    output: () => output,
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
  };
}

/** Polls `url` until it answers (any status), or fails after `timeoutMs`. */
export async function waitForServer(url: string, snippet: RunningSnippet, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms. Output:\n${snippet.output()}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  }
}

