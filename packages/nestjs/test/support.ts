import type { RequestListener } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ExpressAdapter } from '@nestjs/platform-express';
import { listen, serveShop, type RunningShop } from '@mapp-s2s/adapter-tests';
import type { Tracker } from '@mapp-s2s/core';

export type Platform = 'express' | 'fastify';
export const PLATFORMS: Platform[] = ['express', 'fastify'];

/** A fresh adapter for `platform`. */
export function adapterFor(platform: Platform): ExpressAdapter | FastifyAdapter {
  return platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
}

/** The Node request listener of an initialised Nest app, on either platform. */
export async function listenerOf(app: INestApplication): Promise<RequestListener> {
  const instance = app.getHttpAdapter().getInstance() as RequestListener & { routing?: RequestListener; ready?: () => Promise<unknown> };
  if (typeof instance.routing !== 'function') return instance;
  await instance.ready?.();
  return (req, res) => instance.routing!(req, res);
}

/** Serves a Nest shop; closing stops the server, then closes the app (and so the tracker). */
export async function serveNest(app: INestApplication, tracker?: Tracker): Promise<RunningShop> {
  if (tracker !== undefined) return serveShop(await listenerOf(app), tracker);
  const server = await listen(await listenerOf(app));
  return { url: server.url, close: async () => (await server.close(), await app.close()) };
}
