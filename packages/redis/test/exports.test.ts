import { expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as redis from '../src/index.js';

it('exports exactly the public API', () => {
  expect(Object.keys(redis).sort()).toEqual(
    ['DEFAULT_SHARDS', 'DEFAULT_STREAM', 'createRedisShipper', 'deadLetterKey', 'leaseKey', 'redisStreamTransport', 'shardKey', 'shardOf'].sort(),
  );
});

it('builds on the official node-redis client (its core package only, no modules) and the core', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  expect(Object.keys(manifest.dependencies).sort()).toEqual(['@mapp-s2s/core', '@redis/client']);
});
