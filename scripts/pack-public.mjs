#!/usr/bin/env node
// `pnpm pack:all [dest]`: packs every public package (not the private ones) into dest
// (default ./artifacts/packages), as `pnpm pack` does for publishing: workspace: ranges
// become real versions. pnpm 12's `pnpm -r pack` packs every workspace project that has a
// version, private ones included; the private packages refuse that with a failing prepack.
// Build first (`pnpm build`): the tarballs hold dist/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { publicPackages, root } from './public-packages.mjs';

/** Packs the public packages into `dest`; returns { name, dir, tarball } per package. */
export function packPublic(dest) {
  mkdirSync(dest, { recursive: true });
  return publicPackages().map(({ name, version, dir }) => {
    if (!existsSync(join(dir, 'dist'))) throw new Error(`${name}: no dist/ (run pnpm build first)`);
    execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = join(dest, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
    if (!existsSync(tarball)) throw new Error(`${name}: pnpm pack wrote no ${tarball}`);
    return { name, dir, tarball };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dest = resolve(process.argv[2] ?? join(root, 'artifacts', 'packages'));
  for (const { tarball } of packPublic(dest)) console.log(tarball);
}
