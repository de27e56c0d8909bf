#!/usr/bin/env node
/**
 * Measures part 5 (the default-settings burst) against another build of the core and writes
 * the numbers to bench/baseline/<name>.json, so `pnpm bench` can show them next to today's.
 *   node bench/burst-baseline.mjs <path to that build's dist/node/index.js> <name> [--quick]
 * The baseline in the repository was measured on commit bc95e47 (before issue 11):
 *   git worktree add /tmp/before bc95e47 && (cd /tmp/before && pnpm install && pnpm --filter @mapp-s2s/core build)
 *   node bench/burst-baseline.mjs /tmp/before/packages/core/dist/node/index.js before-issue-11
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchBurst } from './lib/burst-run.mjs';
import { startChild } from './lib/child.mjs';
import { describeMachine } from './lib/machine.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const [entry, name] = process.argv.slice(2);
if (!entry || !name) {
  console.error('usage: node bench/burst-baseline.mjs <core dist/node/index.js> <name> [--quick]');
  process.exit(2);
}
const quick = process.argv.includes('--quick');
const sink = await startChild(join(BENCH, 'lib/sink.mjs'));
try {
  const burst = await benchBurst(sink, entry, { n: 50_000, runs: quick ? 1 : 3, log: console.log });
  mkdirSync(join(BENCH, 'baseline'), { recursive: true });
  writeFileSync(join(BENCH, 'baseline', `${name}.json`), `${JSON.stringify({ name, entry, machine: describeMachine(), burst }, null, 1)}\n`);
  console.log(`wrote bench/baseline/${name}.json`);
} finally {
  await sink.kill();
}
