#!/usr/bin/env node
// Type-checks every workspace package and example that has a tsconfig.json (strict, no emit).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages', 'examples'].flatMap((group) =>
  readdirSync(join(root, group))
    .map((name) => join(group, name))
    .filter((dir) => existsSync(join(root, dir, 'tsconfig.json'))),
);
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function check(dir) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsc, '--noEmit', '-p', join(dir, 'tsconfig.json')], { cwd: root });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ dir, code, output }));
  });
}

const failures = [];
const queue = [...dirs];
await Promise.all(
  Array.from({ length: 2 }, async () => {
    for (let dir = queue.shift(); dir; dir = queue.shift()) {
      const result = await check(dir);
      console.log(`typecheck ${result.code === 0 ? 'ok  ' : 'FAIL'} ${dir}`);
      if (result.code !== 0) failures.push(result);
    }
  }),
);
for (const failure of failures) console.error(`\n${failure.dir}:\n${failure.output}`);
process.exit(failures.length ? 1 : 0);
