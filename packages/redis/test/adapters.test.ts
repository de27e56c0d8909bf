import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { NextRequest, type NextFetchEvent } from 'next/server.js';
import { mappTracking as expressTracking } from '@mapp-s2s/express';
import { mappTracking as koaTracking } from '@mapp-s2s/koa';
import { createNextTracker, mappTracking as nextTracking } from '@mapp-s2s/next';
import { redisStreamTransport, shardKey } from '../src/index.js';
import { inspectRedis, until } from './support/outbox.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const TRACK = { trackId: '123451234512345', trackDomain: 'http://127.0.0.1:9' } as const;
const quiet = { debug() {}, warn() {}, error() {} };
const PAGE = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  accept: 'text/html',
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
};

describe('the Redis transport in every adapter', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.close();
  });

  /** The lines in the one-shard stream `stream`. */
  async function outbox(stream: string): Promise<string[]> {
    const inspect = await inspectRedis(redis.url);
    const entries = await inspect.raw<Array<[string, string[]]>>(['XRANGE', shardKey(stream, 0), '-', '+']);
    await inspect.close();
    return entries.flatMap(([, fields]) => (fields[fields.indexOf('l') + 1] ?? '').split('\n'));
  }

  it('Express: a page view lands in the outbox', async () => {
    const tracking = expressTracking({ ...TRACK, logger: quiet, transport: redisStreamTransport({ url: redis.url, stream: 'express', shards: 1 }) });
    const app = express();
    app.use(tracking);
    app.get('/shoes', (_req, res) => void res.type('html').send('<p>shoes</p>'));
    expect((await request(app).get('/shoes').set(PAGE)).status).toBe(200);
    await until(async () => (await outbox('express')).length === 1, 'the hit in Redis');
    expect((await outbox('express'))[0]).toMatch(/^wt\?p=600,127\.0\.0\.1%3A\d+%2Fshoes,/);
    await tracking.tracker.close();
  });

  it('Koa: a page view lands in the outbox', async () => {
    const tracking = koaTracking({ ...TRACK, logger: quiet, transport: redisStreamTransport({ url: redis.url, stream: 'koa', shards: 1 }) });
    const app = new Koa();
    app.use(tracking);
    app.use((ctx) => {
      ctx.type = 'html';
      ctx.body = '<p>hats</p>';
    });
    const server = createServer(app.callback());
    expect((await request(server).get('/hats').set(PAGE)).status).toBe(200);
    await until(async () => (await outbox('koa')).length === 1, 'the hit in Redis');
    expect((await outbox('koa'))[0]).toMatch(/^wt\?p=600,127\.0\.0\.1%3A\d+%2Fhats,/);
    await tracking.tracker.close();
  });

  it('Next.js proxy.ts (Node.js runtime): a page view lands in the outbox', async () => {
    // lib/mapp.ts: one tracker for proxy.ts and the route handlers.
    const tracker = createNextTracker({ ...TRACK, logger: quiet, env: {}, transport: redisStreamTransport({ url: redis.url, stream: 'next', shards: 1 }) });
    const proxy = nextTracking({ tracker });
    const pending: Array<Promise<unknown>> = [];
    const event = { waitUntil: (promise: Promise<unknown>) => void pending.push(promise) } as unknown as NextFetchEvent;
    const response = await proxy(new NextRequest('http://localhost:3000/coats', { headers: { ...PAGE, host: 'shop.example.com', 'x-forwarded-for': '203.0.113.9' } }), event);
    expect(response.headers.get('x-middleware-next')).toBe('1');
    await Promise.all(pending);
    await until(async () => (await outbox('next')).length === 1, 'the hit in Redis');
    expect((await outbox('next'))[0]).toMatch(/^wt\?p=600,shop\.example\.com%2Fcoats,.*&X-WT-IP=203\.0\.113\.9&/);
    await tracker.close();
  });
});
