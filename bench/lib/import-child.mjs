/**
 * Part 8, child side: runs `mapp-s2s import` (the built CLI, in process) once per call, so the
 * parent can sample this process's RSS from /proc while it works.
 */
import { main } from '../../packages/cli/dist/index.js';
import { serveParent } from './child.mjs';

/** Counts what a command writes, keeping only the text of the summary stream. */
function sink(keep) {
  let bytes = 0;
  let text = '';
  return {
    write(chunk) {
      bytes += chunk.length;
      if (keep) text += chunk;
      return true;
    },
    isTTY: false,
    columns: 80,
    get bytes() {
      return bytes;
    },
    get text() {
      return text;
    },
  };
}

const number = (text, pattern) => {
  const match = pattern.exec(text);
  return match ? Number(match[1].replace(/,/g, '')) : undefined;
};

serveParent({
  async run({ args, dryRun }) {
    const stdout = sink(!dryRun);
    const stderr = sink(true);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const code = await main(['import', ...args], { stdout, stderr, env: { HOME: process.env.HOME ?? '/tmp' } });
    const elapsedMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const summary = dryRun ? stderr.text : stdout.text;
    return {
      code,
      elapsedMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      linesRead: number(summary, /^([\d,]+) lines read/m),
      pageViews: number(summary, /^([\d,]+) page views/m),
      printedBytes: dryRun ? stdout.bytes : 0,
      summary,
      stderr: dryRun ? '' : stderr.text,
    };
  },
});
