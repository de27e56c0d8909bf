import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrackingError } from '@mapp-s2s/core';
import { createTracker } from '@mapp-s2s/core/node';
import { mappTracking } from '@mapp-s2s/express';
import { mappTracking as koaTracking } from '@mapp-s2s/koa';
import { mappTracking as honoTracking, mappPixelProxy as honoPixelProxy } from '@mapp-s2s/hono';
import { mappPixelProxy as nestPixelProxy } from '@mapp-s2s/nestjs';
import { mappTracking as fastifyTracking } from '@mapp-s2s/fastify';
import Fastify from 'fastify';
import { oneCore, runProbe, WORKSPACE } from './support.js';

// One copy of the core per process: @mapp-s2s/core/node and the adapters must throw the
// TrackingError that @mapp-s2s/core exports. Checked on the built dist (plain Node, as a user
// runs it; `pnpm build` comes first) in both formats, and on the sources as jest maps them.
const BAD = { trackId: 'not-a-track-id', trackDomain: 'track.example.com' };
const DIST = join(WORKSPACE, 'packages', 'core', 'dist');

describe('one core per process', () => {
  it.each(['cjs', 'esm'] as const)('built dist, %s: errors from every entry and adapter are instanceof TrackingError', (format) => {
    expect(runProbe(join(__dirname, 'fixtures'), format)).toEqual(oneCore(format));
  });

  it.each([
    ['ESM', /^index\.js$/, /from\s*"(\.\.?\/[^"]+)"/g],
    ['CJS', /^index\.cjs$/, /require\('(\.\.?\/[^']+)'\)/g],
  ])('the %s builds of both entries load the same shared chunk', (_format, entryName, importPattern) => {
    const chunksOf = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(importPattern)].map((m) => m[1]!.replace(/^(\.\.\/|\.\/)/, ''));
    const main = readdirSync(DIST).find((name) => entryName.test(name))!;
    const fromMain = chunksOf(join(DIST, main));
    const fromNode = chunksOf(join(DIST, 'node', main));
    expect(fromMain.length).toBeGreaterThan(0);
    expect(fromMain.every((chunk) => chunk.startsWith('chunk-'))).toBe(true);
    expect(fromNode).toEqual(expect.arrayContaining(fromMain));
    // The node entry holds only Node code: it is much smaller than the shared chunk.
    const chunkSize = readFileSync(join(DIST, fromMain[0]!)).length;
    expect(readFileSync(join(DIST, 'node', main)).length).toBeLessThan(chunkSize / 2);
  });

  it.each([
    ['@mapp-s2s/core/node createTracker', () => createTracker(BAD, {})],
    ['@mapp-s2s/express mappTracking', () => mappTracking(BAD)],
    ['@mapp-s2s/koa mappTracking', () => koaTracking(BAD)],
    ['@mapp-s2s/hono mappTracking', () => honoTracking(BAD)],
    ['@mapp-s2s/hono mappPixelProxy', () => honoPixelProxy(BAD)],
    ['@mapp-s2s/nestjs mappPixelProxy', () => nestPixelProxy(BAD)],
  ])('sources under jest (moduleNameMapper): %s throws the core TrackingError', (_name, make) => {
    expect(make).toThrow(TrackingError);
  });

  it('sources under jest: the Fastify plugin rejects bad options at registration with the core TrackingError', async () => {
    const app = Fastify();
    await expect(app.register(fastifyTracking, BAD).ready()).rejects.toBeInstanceOf(TrackingError);
    await app.close();
  });
});
