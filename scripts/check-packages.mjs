#!/usr/bin/env node
// Checks the public packages as they would be published, before jest runs (`pnpm test`):
// packs each one (`pnpm pack`, as `pnpm pack:all` does) and runs on every tarball
//   - publint --strict (package.json fields, exports, files),
//   - @arethetypeswrong/cli (attw): types and code resolve under node10, node16 (CJS and
//     ESM) and bundler resolution, for every subpath export,
//   - our own rules: MIT LICENSE and repository/homepage/bugs, no workspace: ranges left,
//     every non-optional peer range bounded above, a type package for each peer whose
//     types come from @types (declared as an optional peer), every bare import of the
//     shipped .d.ts files declared, no native build reachable from @mapp-s2s/cli;
// and on the workspace: repository/homepage/bugs in every package.json, private packages
// that refuse `pnpm pack`, and the built main entries of core and next free of Node
// built-ins (the Next.js Edge runtime bundles them).
// Needs a build (`pnpm build`; scripts/setup.sh runs it).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { packPublic } from './pack-public.mjs';
import { publicPackages, root } from './public-packages.mjs';

const run = promisify(execFile);
const REPOSITORY = 'git+https://github.com/mapp-s2s/mapp-s2s.git';
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const bin = (name) => join(root, 'node_modules', '.bin', name);

const failures = [];
const fail = (where, message) => failures.push(`${where}: ${message}`);

/** The files and package.json of a tarball, read with tar (no extraction to disk). */
async function readTarball(tarball) {
  const { stdout: list } = await run('tar', ['-tzf', tarball], { maxBuffer: 16 << 20 });
  const files = list.split('\n').filter(Boolean).map((file) => file.replace(/^package\//, ''));
  const read = async (file) => (await run('tar', ['-xzOf', tarball, `package/${file}`], { maxBuffer: 64 << 20 })).stdout;
  return { files, manifest: JSON.parse(await read('package.json')), read };
}

/** The package a bare import specifier names (`@scope/name/sub` → `@scope/name`). */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function hasUpperBound(range) {
  return range.split('||').every((part) => /^\s*[\^~]\s*\d/.test(part) || /<\s*\d/.test(part) || /^\s*\d+(\.\d+){0,2}\s*$/.test(part));
}

async function checkTarball({ name, dir, tarball }) {
  const where = name;
  const [publint, attw, contents] = await Promise.all([
    run(bin('publint'), ['--strict', tarball]).catch((error) => error),
    run(bin('attw'), [tarball, '--profile', 'strict', '--format', 'table-flipped', '--no-color'], { env: { ...process.env, FORCE_COLOR: '0' } }).catch((error) => error),
    readTarball(tarball),
  ]);
  if (publint instanceof Error) fail(where, `publint --strict failed:\n${publint.stdout}${publint.stderr}`);
  else if (!/All good/.test(publint.stdout)) fail(where, `publint --strict reported:\n${publint.stdout}`);
  if (attw instanceof Error) fail(where, `attw failed:\n${attw.stdout}${attw.stderr}`);
  else if (!/No problems found/.test(attw.stdout)) fail(where, `attw reported:\n${attw.stdout}`);

  const { files, manifest, read } = contents;
  const directory = relative(root, dir);
  if (manifest.license !== 'MIT') fail(where, `license is ${manifest.license}, expected MIT`);
  if (!files.includes('LICENSE')) fail(where, 'no LICENSE file in the tarball');
  else if (!/^MIT License/.test(await read('LICENSE'))) fail(where, 'LICENSE is not the MIT license');
  if (manifest.repository?.url !== REPOSITORY || manifest.repository?.directory !== directory) fail(where, `repository must be { url: ${REPOSITORY}, directory: ${directory} }`);
  if (!manifest.homepage) fail(where, 'no homepage');
  if (!manifest.bugs?.url) fail(where, 'no bugs.url');
  if (!files.includes('README.md')) fail(where, 'no README.md in the tarball');

  const peers = manifest.peerDependencies ?? {};
  const optional = (dep) => manifest.peerDependenciesMeta?.[dep]?.optional === true;
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) fail(where, `${field}.${dep} is still ${range}`);
    }
  }
  for (const [dep, range] of Object.entries(peers)) {
    if (!optional(dep) && !hasUpperBound(range)) fail(where, `peer ${dep}@${range} has no upper bound: allow only the majors the tests install`);
    if (dep.startsWith('@types/') && !optional(dep)) fail(where, `peer ${dep} must be optional (only TypeScript users need it)`);
  }
  // A framework whose types live in @types/<name> (we develop against it) needs that package
  // declared beside it, else a consumer's tsc cannot read our .d.ts.
  const source = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys(peers)) {
    const types = `@types/${dep.replace(/^@(.*)\/(.*)$/, '$1__$2')}`;
    if (source.devDependencies?.[types] && !(types in peers)) fail(where, `peer ${dep} takes its types from ${types}: declare it as an optional peer`);
  }
  // Every bare import in the shipped declarations must be something the package declares.
  const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {}), ...Object.keys(peers)]);
  for (const file of files.filter((f) => /\.d\.c?ts$/.test(f))) {
    const text = await read(file);
    for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"./][^'"]*)['"]/g)) {
      if (BUILTINS.has(specifier) || specifier.startsWith('node:')) {
        if (!declared.has('@types/node')) fail(where, `${file} imports ${specifier}: declare @types/node as an optional peer`);
      } else if (!declared.has(packageOf(specifier))) {
        fail(where, `${file} imports ${specifier}, which the package does not declare`);
      }
    }
  }
  return { name, manifest };
}

/** No package reachable through the CLI's dependencies may build native code (the collector's SQLite). */
function checkCliInstallsNoNativeCode(manifests) {
  const byName = new Map(manifests.map((m) => [m.name, m]));
  const seen = new Set();
  const queue = ['@mapp-s2s/cli'];
  while (queue.length > 0) {
    const name = queue.shift();
    if (seen.has(name)) continue;
    seen.add(name);
    const manifest = byName.get(name);
    if (!manifest) continue; // third-party: cookie, isbot, ipaddr.js (pure JavaScript)
    for (const field of ['dependencies', 'optionalDependencies']) {
      for (const dep of Object.keys(manifest[field] ?? {})) {
        if (dep === 'better-sqlite3' || dep === '@mapp-s2s/collector') fail('@mapp-s2s/cli', `installs ${dep} through ${name}'s ${field}: ship must install without native code`);
        queue.push(dep);
      }
    }
  }
  const cli = byName.get('@mapp-s2s/cli');
  if (cli?.peerDependenciesMeta?.['@mapp-s2s/collector']?.optional !== true) fail('@mapp-s2s/cli', '@mapp-s2s/collector must be an optional peer');
}

/** repository/homepage/bugs in every package.json; private packages refuse `pnpm pack`. */
function checkWorkspaceManifests() {
  const dirs = ['.', 'bench', ...['packages', 'examples'].flatMap((group) => readdirSync(join(root, group)).map((name) => `${group}/${name}`))];
  for (const dir of dirs) {
    const file = join(root, dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    const where = `${dir}/package.json`;
    if (manifest.repository?.url !== REPOSITORY) fail(where, `repository.url must be ${REPOSITORY}`);
    if (dir !== '.' && manifest.repository?.directory !== dir) fail(where, `repository.directory must be ${dir}`);
    if (!manifest.homepage || !manifest.bugs?.url) fail(where, 'homepage and bugs.url are required');
    if (dir.startsWith('packages/') && manifest.private === true && manifest.version !== undefined && !/exit 1/.test(manifest.scripts?.prepack ?? '')) {
      fail(where, 'a private package with a version needs a prepack that refuses (pnpm 12 `pnpm -r pack` packs it otherwise)');
    }
  }
}

/** The built main entries as the Next.js Edge runtime bundles them: no Node built-in. */
async function checkEdgeBundles() {
  const { build } = await import('esbuild');
  const found = [];
  const spy = {
    name: 'node-builtin-spy',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /.*/ }, (args) => {
        if (BUILTINS.has(args.path) || args.path.startsWith('node:')) {
          found.push(`${args.path} (from ${relative(root, args.importer)})`);
          return { path: args.path, external: true };
        }
        if (/^next(\/|$)/.test(args.path)) return { path: args.path, external: true };
        return undefined;
      });
    },
  };
  for (const entry of ['packages/core/dist/index.js', 'packages/next/dist/index.js']) {
    found.length = 0;
    await build({ entryPoints: [join(root, entry)], bundle: true, platform: 'neutral', mainFields: ['module', 'main'], format: 'esm', write: false, logLevel: 'silent', plugins: [spy] });
    if (found.length > 0) fail(entry, `the Edge bundle imports Node built-ins: ${found.join(', ')}`);
  }
}

const started = Date.now();
const missing = publicPackages().filter(({ dir }) => !existsSync(join(dir, 'dist')));
if (missing.length > 0) {
  console.error(`check-packages: no dist/ in ${missing.map((p) => p.name).join(', ')}: run pnpm build first`);
  process.exit(1);
}
const dest = mkdtempSync(join(tmpdir(), 'mapp-s2s-pack-'));
try {
  const packed = packPublic(dest);
  const results = [];
  // Two at a time: the machine (and CI's) has 2 cores.
  const queue = [...packed];
  await Promise.all(
    [0, 1].map(async () => {
      for (let next = queue.shift(); next; next = queue.shift()) results.push(await checkTarball(next));
    }),
  );
  checkCliInstallsNoNativeCode(results.map((r) => r.manifest));
  checkWorkspaceManifests();
  await checkEdgeBundles();
  for (const { name } of packed) {
    const bad = failures.some((f) => f.startsWith(`${name}:`));
    console.log(`check-packages ${bad ? 'FAIL' : 'ok  '} ${name}  (publint --strict, attw node10/node16/bundler, manifest, .d.ts imports)`);
  }
} finally {
  rmSync(dest, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`\ncheck-packages: ${failures.length} problem(s):\n${failures.map((f) => `- ${f}`).join('\n')}`);
  process.exit(1);
}
console.log(`check-packages ok   workspace manifests, private packages, Edge bundles of core and next (${((Date.now() - started) / 1000).toFixed(1)} s)`);
