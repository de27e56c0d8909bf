import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { cleanEnv, exec, oneCore, run, runProbe, WORKSPACE } from './support.js';

// The packages as a new user gets them: packed (`pnpm pack:all`, from the built dist), then
// installed into apps outside the workspace from those tarballs, third-party packages from
// the registry. Frameworks with pnpm (its store already holds Express, Koa and Next), the CLI
// with npm. Then tsc type-checks small apps under node10, nodenext and bundler resolution
// without skipLibCheck, the apps run the instanceof probe, and the CLI ships without native code.

const TRACK_ID = '123451234512345';
const TSC = join(WORKSPACE, 'node_modules', 'typescript', 'bin', 'tsc');
const PUBLIC = ['cli', 'collector', 'core', 'express', 'fastify', 'hono', 'koa', 'metrics', 'nestjs', 'next', 'redis'] as const;

let root: string;
let tarballs: Record<(typeof PUBLIC)[number], string>;
let frameworks: string;
let cliApp: string;

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mapp-s2s-consumers-'));
  const packed = join(root, 'packages');
  exec(process.execPath, [join(WORKSPACE, 'scripts', 'pack-public.mjs'), packed], WORKSPACE);
  const files = readdirSync(packed);
  tarballs = Object.fromEntries(
    PUBLIC.map((name) => {
      const file = files.find((f) => f.startsWith(`mapp-s2s-${name}-`) && f.endsWith('.tgz'));
      if (!file) throw new Error(`no tarball for @mapp-s2s/${name} in ${files.join(', ')}`);
      return [name, join(packed, file)];
    }),
  ) as typeof tarballs;

  // Express, Koa, Fastify, Hono, NestJS and Next apps in one folder: our tarballs (overrides
  // make the adapters' own dependency on @mapp-s2s/core use the tarball too, not the registry).
  frameworks = join(root, 'frameworks');
  const ours = Object.fromEntries((['core', 'express', 'fastify', 'hono', 'koa', 'metrics', 'nestjs', 'next', 'redis'] as const).map((name) => [`@mapp-s2s/${name}`, `file:${tarballs[name]}`]));
  write(frameworks, {
    'package.json': JSON.stringify({
      name: 'consumer-frameworks',
      private: true,
      dependencies: {
        ...ours,
        express: '^5.1.0',
        '@types/express': '^5.0.3',
        koa: '^3.0.0',
        '@types/koa': '^3.0.0',
        fastify: '^5.6.0',
        hono: '^4.12.0',
        '@nestjs/common': '^11.1.0',
        '@nestjs/core': '^11.1.0',
        'reflect-metadata': '^0.2.2',
        rxjs: '^7.8.2',
        'prom-client': '^15.1.3',
        next: '^16.0.0',
        react: '^19.0.0',
        'react-dom': '^19.0.0',
        '@types/react': '^19.0.0',
        '@types/react-dom': '^19.0.0',
        '@types/node': '^20.19.0',
      },
    }),
    'pnpm-workspace.yaml': [
      'overrides:',
      ...Object.entries(ours).map(([name, spec]) => `  "${name}": "${spec}"`),
      'allowBuilds:',
      '  sharp: false',
      '  unrs-resolver: false',
      '',
    ].join('\n'),
  });
  exec('pnpm', ['install', '--no-frozen-lockfile', '--prefer-offline'], frameworks, cleanEnv({ CI: 'true' }));

  // The CLI alone, as someone installs it for `mapp-s2s ship` from cron: npm, no collector.
  cliApp = join(root, 'cli');
  write(cliApp, { 'package.json': JSON.stringify({ name: 'consumer-cli', private: true }) });
  exec('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarballs.cli, tarballs.core], cliApp);
}, 240_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/**
 * Type-checks `files` in `dir` with the workspace's tsc (strict, no skipLibCheck) and returns
 * the errors. Next's own declarations do not compile without skipLibCheck (its app template
 * sets it): with `tolerateNextInternals`, errors located inside the `next` package itself are
 * left out; errors in our packages or the app never are.
 */
function typecheck(dir: string, name: string, compilerOptions: Record<string, unknown>, files: Record<string, string>, tolerateNextInternals = false): string[] {
  const project = join(dir, name);
  write(project, {
    ...files,
    'tsconfig.json': JSON.stringify({
      compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, target: 'ES2022', types: ['node'], ...compilerOptions },
      include: Object.keys(files),
    }),
  });
  const result = spawnSync(process.execPath, [TSC, '-p', join(project, 'tsconfig.json')], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  const errors: string[] = [];
  for (const line of `${result.stdout}${result.stderr}`.split('\n')) {
    if (/^\s/.test(line) || line.trim() === '') {
      if (errors.length > 0 && line.trim() !== '') errors[errors.length - 1] += `\n${line}`;
      continue;
    }
    errors.push(line);
  }
  const kept = errors.filter((error) => !(tolerateNextInternals && /\/node_modules\/next\//.test(error.split('(')[0] ?? '')));
  if (result.status !== 0 && errors.length === 0) kept.push(`tsc exited ${result.status}: ${result.stdout}${result.stderr}`);
  return kept;
}

// Each app also holds a deliberate mistake under @ts-expect-error: if our types failed to load
// (and became `any`), that directive would be unused and tsc would report it.
const EXPRESS_KOA_CJS = `import express = require('express');
import Koa = require('koa');
import { mappTracking } from '@mapp-s2s/express';
import { mappTracking as koaTracking } from '@mapp-s2s/koa';
import { createTracker, fromNodeRequest, TrackingError } from '@mapp-s2s/core/node';
import { TrackingError as CoreTrackingError, type TrackerOptions } from '@mapp-s2s/core';
import { createRedisShipper, redisStreamTransport } from '@mapp-s2s/redis';

const options: TrackerOptions = { trackId: '${TRACK_ID}', trackDomain: 'track.example.com' };
const app = express();
app.use(mappTracking(options));
app.use(mappTracking({ ...options, transport: redisStreamTransport({ url: 'redis://127.0.0.1:6379', shards: 4 }) }));
export const ship = () => createRedisShipper({ trackId: options.trackId, trackDomain: options.trackDomain, consumer: 'a' });
new Koa().use(koaTracking(options));
const tracker = createTracker(options, process.env);
const error: CoreTrackingError = new TrackingError('INVALID_OPTION', 'same class from both entries');
// @ts-expect-error: trackID is not an option (it is trackId)
mappTracking({ trackID: '${TRACK_ID}' });
export { tracker, error, fromNodeRequest };
`;

const ESM_APP = `import express from 'express';
import Koa from 'koa';
import { mappTracking } from '@mapp-s2s/express';
import { mappTracking as koaTracking } from '@mapp-s2s/koa';
import { createTracker, TrackingError } from '@mapp-s2s/core/node';
import { TrackingError as CoreTrackingError, type TrackerOptions } from '@mapp-s2s/core';
import { redisStreamTransport } from '@mapp-s2s/redis';

const options: TrackerOptions = { trackId: '${TRACK_ID}', trackDomain: 'track.example.com' };
express().use(mappTracking(options));
express().use(mappTracking({ ...options, transport: redisStreamTransport({ url: 'redis://127.0.0.1:6379' }) }));
// @ts-expect-error: shards is a number
redisStreamTransport({ shards: '4' });
new Koa().use(koaTracking(options));
export const tracker = createTracker(options, process.env);
export const error: CoreTrackingError = new TrackingError('INVALID_OPTION', 'same class from both entries');
// @ts-expect-error: trackID is not an option (it is trackId)
mappTracking({ trackID: '${TRACK_ID}' });
`;

const NEXT_MIDDLEWARE = `import { mappTracking } from '@mapp-s2s/next';
import { TrackingError, type TrackerOptions } from '@mapp-s2s/core';

const options: TrackerOptions = { trackId: '${TRACK_ID}', trackDomain: 'track.example.com' };
export default mappTracking(options);
export const config = { matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'] };
export const isTrackingError = (error: unknown): error is TrackingError => error instanceof TrackingError;
// @ts-expect-error: trackID is not an option (it is trackId)
mappTracking({ trackID: '${TRACK_ID}' });
`;

// Fastify, Hono, NestJS and the metrics package, as their users write them. NestJS apps are
// CommonJS with legacy decorators (its CLI's template); Fastify and Hono apps are ESM.
const NEST_CJS = `import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { MappTrackingModule, MappTracker, NoTracking, TrackAs, mappPixelProxy } from '@mapp-s2s/nestjs';
import { TrackingError } from '@mapp-s2s/core';
import { registerPrometheusMetrics } from '@mapp-s2s/metrics';
import { Registry } from 'prom-client';

@Controller()
class ShopController {
  constructor(private readonly tracker: MappTracker) {}
  @Get('health') @NoTracking() health(): string { return 'ok'; }
  @Get('search') @TrackAs({ page: { name: 'search' } }) search(): string { return typeof this.tracker; }
}

@Module({ imports: [MappTrackingModule.forRoot({ trackId: '${TRACK_ID}', trackDomain: 'track.example.com' })], controllers: [ShopController] })
export class AppModule {}
export const pixel = mappPixelProxy({ trackId: '${TRACK_ID}', trackDomain: 'track.example.com' });
export const isTrackingError = (error: unknown): error is TrackingError => error instanceof TrackingError;
export const metrics = (tracker: MappTracker['tracker']) => registerPrometheusMetrics(tracker, { registry: new Registry() });
// @ts-expect-error: trackID is not an option (it is trackId)
MappTrackingModule.forRoot({ trackID: '${TRACK_ID}' });
`;

const FASTIFY_HONO_ESM = `import Fastify from 'fastify';
import { Hono } from 'hono';
import { mappTracking, mappPixelProxy, noTracking } from '@mapp-s2s/fastify';
import { mappTracking as honoTracking, trackPage } from '@mapp-s2s/hono';
import { TrackingError, type TrackerOptions } from '@mapp-s2s/core';
import { registerPrometheusMetrics } from '@mapp-s2s/metrics';
import { Registry } from 'prom-client';

const options: TrackerOptions = { trackId: '${TRACK_ID}', trackDomain: 'track.example.com' };
const app = Fastify();
await app.register(mappTracking, options);
await app.register(mappPixelProxy, options);
app.get('/health', { onRequest: noTracking() }, async () => 'ok');
const hono = new Hono();
const tracking = honoTracking(options);
hono.use(tracking);
hono.get('/products/:id', (c) => {
  trackPage(c, { page: { name: 'product' } });
  return c.html('<p>ok</p>');
});
registerPrometheusMetrics(tracking.tracker, { registry: new Registry() });
export const isTrackingError = (error: unknown): error is TrackingError => error instanceof TrackingError;
// @ts-expect-error: trackID is not an option (it is trackId)
honoTracking({ trackID: '${TRACK_ID}' });
`;

describe('packed packages installed outside the workspace', () => {
  it('type-check in a CommonJS app (module commonjs, moduleResolution node10, as NestJS)', () => {
    // Neither esModuleInterop nor allowSyntheticDefaultImports: our .d.ts must not need them.
    expect(typecheck(frameworks, 'node10', { module: 'commonjs', moduleResolution: 'node10' }, { 'app.ts': EXPRESS_KOA_CJS })).toEqual([]);
  }, 120_000);

  it('type-check under module nodenext, from ESM (.mts) and CommonJS (.cts)', () => {
    expect(typecheck(frameworks, 'nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }, { 'app.mts': ESM_APP, 'app.cts': EXPRESS_KOA_CJS })).toEqual([]);
  }, 120_000);

  it('type-check under moduleResolution bundler', () => {
    expect(typecheck(frameworks, 'bundler', { module: 'esnext', moduleResolution: 'bundler' }, { 'app.ts': ESM_APP })).toEqual([]);
  }, 120_000);

  it.each([
    ['node10', { module: 'commonjs', moduleResolution: 'node10' }],
    ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler', jsx: 'preserve' }],
  ])('a Next.js middleware type-checks under %s (no errors outside Next’s own declarations)', (name, options) => {
    const file = name === 'nodenext' ? 'middleware.mts' : 'middleware.ts';
    expect(typecheck(frameworks, `next-${name}`, { ...options, lib: ['ES2024', 'DOM', 'DOM.Iterable'] }, { [file]: NEXT_MIDDLEWARE }, true)).toEqual([]);
  }, 120_000);

  it('a NestJS app (module commonjs, node10, legacy decorators) with the metrics package type-checks', () => {
    expect(typecheck(frameworks, 'nest', { module: 'commonjs', moduleResolution: 'node10', experimentalDecorators: true, emitDecoratorMetadata: true }, { 'app.ts': NEST_CJS })).toEqual([]);
  }, 120_000);

  it.each([
    ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
  ])('Fastify and Hono apps with the metrics package type-check under %s', (name, options) => {
    const file = name === 'nodenext' ? 'app.mts' : 'app.ts';
    expect(typecheck(frameworks, `fastify-hono-${name}`, { ...options, lib: ['ES2024', 'DOM'] }, { [file]: FASTIFY_HONO_ESM })).toEqual([]);
  }, 120_000);

  it.each(['cjs', 'esm'] as const)('run with one core (%s): adapter and /node errors are instanceof the core TrackingError', (format) => {
    expect(runProbe(frameworks, format)).toEqual(oneCore(format));
  }, 60_000);
});

describe('mapp-s2s ship without the collector', () => {
  let collector: Collector;
  let spool: string;

  beforeAll(async () => {
    collector = await startCollector({ inspector: false, trackIds: [TRACK_ID] });
    spool = mkdtempSync(join(tmpdir(), 'mapp-s2s-consumer-spool-'));
  });

  afterAll(async () => {
    await collector?.close();
    if (spool) rmSync(spool, { recursive: true, force: true });
  });

  it('installs the CLI without @mapp-s2s/collector, better-sqlite3 or any native build', () => {
    const installed = readdirSync(join(cliApp, 'node_modules'));
    expect(installed).not.toContain('better-sqlite3');
    expect(readdirSync(join(cliApp, 'node_modules', '@mapp-s2s')).sort()).toEqual(['cli', 'core']);
    const native = exec('find', ['node_modules', '-name', '*.node', '-o', '-name', 'binding.gyp'], cliApp);
    expect(native.trim()).toBe('');
    expect(existsSync(join(cliApp, 'node_modules', '.bin', 'mapp-s2s'))).toBe(true);
  });

  it('ships spooled hits to a collector and exits 0', async () => {
    const lines = Array.from({ length: 3 }, (_, i) => `wt?p=600,consumer${i},,,,,1700000000000,0,,&eid=8170000000000000001&cp1=${i}`);
    writeFileSync(join(spool, 'MappIntelligenceRequests-1700000000001.log'), `${lines.join('\n')}\n`);
    const result = await run(join(cliApp, 'node_modules', '.bin', 'mapp-s2s'), ['ship', '--dir', spool, '--track-id', TRACK_ID, '--track-domain', collector.url, '--max-attempts', '1'], cliApp, 50_000);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(/^3 lines shipped from 1 of 1 files/);
    expect(collector.hits().map((hit) => hit.params['cp1'])).toEqual(['0', '1', '2']);
    expect(readdirSync(spool)).toEqual([]);
  }, 60_000);

  it('mapp-s2s collector exits 2 and names the package to install', async () => {
    const result = await run(join(cliApp, 'node_modules', '.bin', 'mapp-s2s'), ['collector', '--port', '0'], cliApp, 25_000);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('@mapp-s2s/collector is not installed');
    expect(result.stderr).toContain('npm install --save-dev @mapp-s2s/collector');
  }, 30_000);
});
