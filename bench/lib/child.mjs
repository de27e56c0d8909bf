/**
 * Child-process plumbing for the benchmarks: every server and every tracker runs in its
 * own process (so the load generator never shares an event loop with what it measures),
 * and talks to the parent over Node's IPC channel with small request/response messages.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Starts `script` as a child process and resolves once it sent `{ type: 'ready', ...info }`.
 * Returns `{ info, call(cmd, args), kill(), pid, rssBytes() }`.
 */
export async function startChild(script, args = [], { execArgv = [], env = {}, timeoutMs = 30_000 } = {}) {
  const child = fork(script, args, {
    execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map();
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not get ready in ${timeoutMs} ms`)), timeoutMs);
    child.once('error', reject);
    exited.then(({ code, signal }) => reject(new Error(`${script} exited early (code ${code}, signal ${signal})`)));
    child.on('message', (message) => {
      if (message?.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message?.type === 'reply' && pending.has(message.id)) {
        const { resolve: done, reject: fail } = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) fail(new Error(message.error));
        else done(message.result);
      }
    });
  });
  exited.then(({ code, signal }) => {
    for (const { reject } of pending.values()) reject(new Error(`${script} exited (code ${code}, signal ${signal})`));
    pending.clear();
  });
  return {
    info,
    pid: child.pid,
    exited,
    /** Sends a command and resolves with the child's result. */
    call(cmd, payload = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ type: 'call', id, cmd, payload });
      });
    },
    /** Resident set size in bytes, read from /proc so the child's own loop cannot delay the sample. */
    rssBytes() {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const match = /VmRSS:\s+(\d+) kB/.exec(status);
        return match ? Number(match[1]) * 1024 : undefined;
      } catch {
        return undefined;
      }
    },
    /** Stops the child and waits for it to exit. */
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * Child side: announces readiness and serves commands with `handlers[cmd](payload)`.
 * A handler may return a promise; errors travel back as messages.
 */
export function serveParent(handlers, readyInfo = {}) {
  process.on('message', async (message) => {
    if (message?.type !== 'call') return;
    if (message.cmd === 'exit') {
      // A normal exit (unlike a signal) lets `--cpu-prof` write its profile.
      process.send({ type: 'reply', id: message.id, result: true }, () => process.exit(0));
      return;
    }
    const handler = handlers[message.cmd];
    try {
      if (handler === undefined) throw new Error(`unknown command ${message.cmd}`);
      const result = await handler(message.payload ?? {});
      process.send({ type: 'reply', id: message.id, result });
    } catch (error) {
      process.send({ type: 'reply', id: message.id, error: String(error?.stack ?? error) });
    }
  });
  // The parent going away must never leave an orphan server behind.
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', ...readyInfo });
}
