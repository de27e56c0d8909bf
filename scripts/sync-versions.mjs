#!/usr/bin/env node
// After `changeset version`: copies the released version into the constants that the code
// sends or prints (cs801 = mapp-s2s-<version>, `mapp-s2s --version`). Tests pin both to
// package.json, so a release can't ship a stale value. Part of `pnpm version-packages`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const targets = [
  ['packages/core', 'src/version.ts', /(const LIBRARY_VERSION = ')[^']*(';)/],
  ['packages/cli', 'src/version.ts', /(export const CLI_VERSION = ')[^']*(';)/],
];
for (const [dir, file, pattern] of targets) {
  const { version } = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  const path = join(root, dir, file);
  const before = readFileSync(path, 'utf8');
  if (!pattern.test(before)) throw new Error(`sync-versions: no version constant found in ${dir}/${file}`);
  const after = before.replace(pattern, `$1${version}$2`);
  if (after !== before) writeFileSync(path, after);
  console.log(`sync-versions: ${dir}/${file} = ${version}`);
}
