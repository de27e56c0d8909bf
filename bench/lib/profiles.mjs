/**
 * Part 6: CPU profiles of the tracked servers under load (issue 13, "profile first"), now and
 * before the work on the request path. `after` profiles are taken by this run with
 * bench/profile.mjs; the `before` ones were taken the same way against the build of commit
 * bc95e47 and are kept in bench/profiles/*-before.json:
 *   git worktree add /tmp/before bc95e47 && (cd /tmp/before && pnpm install && pnpm build)
 *   cp bench/profile.mjs /tmp/before/bench/profile-now.mjs (+ bench/lib/overhead.mjs as lib/overhead-now.mjs)
 *   node bench/profile-now.mjs --framework=koa --variant=batch --visitors=new --out=<here>/bench/profiles/koa-new-before.json
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);
export const PROFILE_CASES = ['express-returning', 'express-new', 'koa-returning', 'koa-new'];

/** Profiles every case with the current build; returns { case: { before, after } }. */
export async function profileAll({ duration, log }) {
  const out = {};
  for (const key of PROFILE_CASES) {
    const [framework, visitors] = key.split('-');
    const file = join(BENCH, 'profiles', `${key}-after.json`);
    await run(process.execPath, [join(BENCH, 'profile.mjs'), `--framework=${framework}`, '--variant=batch', `--visitors=${visitors}`, `--duration=${duration}`, '--top=25', `--out=${file}`], { maxBuffer: 1 << 24 });
    out[key] = readProfiles(key);
    log(`  ${key}: tracking code ${out[key].after.summary.oursPercent.toFixed(1)} % of samples now${out[key].before ? `, ${out[key].before.summary.oursPercent.toFixed(1)} % before` : ''}`);
  }
  return out;
}

function readProfiles(key) {
  const read = (which) => {
    const file = join(BENCH, 'profiles', `${key}-${which}.json`);
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  };
  return { before: read('before'), after: read('after') };
}
