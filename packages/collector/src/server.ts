import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CollectorContext } from './context.js';
import { handleControl } from './control.js';
import { DEFAULT_STREAM_BUFFER_BYTES, EventHub } from './event-hub.js';
import { FaultState, validateFaults } from './faults.js';
import { createHostCheck, denyFraming } from './guard.js';
import { sendText } from './http-util.js';
import { HitStore } from './store.js';
import { handleTracking, matchTrackingPath } from './tracking.js';
import type { Collector, CollectorOptions, StoredHit } from './types.js';

/**
 * Starts a local Mapp-compatible collector: tracking endpoints (`/<trackId>/wt`,
 * `/<trackId>/batch`), validation, SQLite storage, fault injection, a JSON API, an SSE stream
 * and the inspector page. Bad options throw; nothing a client sends can crash it.
 *
 * @example
 * const collector = await startCollector();
 * // point a tracker at collector.url, then:
 * const [hit] = await collector.waitForHits(1);
 * await collector.close();
 */
export async function startCollector(options: CollectorOptions = {}): Promise<Collector> {
  const {
    port = 0,
    host = '127.0.0.1',
    db = ':memory:',
    trackIds,
    inspector = true,
    verbose = false,
    allowedHosts = [],
    maxStreamBufferBytes = DEFAULT_STREAM_BUFFER_BYTES,
  } = options;
  for (const id of trackIds ?? []) {
    if (!/^\d{15}$/.test(id)) throw new TypeError(`startCollector: trackIds must be 15-digit ids, got "${id}"`);
  }
  if (!Array.isArray(allowedHosts) || allowedHosts.some((entry) => typeof entry !== 'string' || !/^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/]+)(:\d{1,5})?$/.test(entry))) {
    throw new TypeError(`startCollector: allowedHosts must be host names or host:port entries such as "collector.internal:9700", got ${JSON.stringify(allowedHosts)}`);
  }
  if (!Number.isSafeInteger(maxStreamBufferBytes) || maxStreamBufferBytes < 1024) {
    throw new TypeError(`startCollector: maxStreamBufferBytes must be an integer of at least 1024, got ${String(maxStreamBufferBytes)}`);
  }
  const faults = new FaultState(validateFaults(options.faults ?? {}));
  const store = new HitStore(db);
  const events = new EventHub(maxStreamBufferBytes, ({ peer, unread, limit }) => {
    console.warn(
      `[collector] live stream of ${peer} cut off: ${unread} bytes unread (limit ${limit}). ` +
        'The client stopped reading; a browser reconnects by itself and resumes after its Last-Event-ID.',
    );
  });
  const pendingDelays = new Set<() => void>();
  let closed = false;

  const ctx: CollectorContext = {
    store,
    faults,
    events,
    trackIds: trackIds !== undefined && trackIds.length > 0 ? new Set(trackIds) : undefined,
    inspector,
    // Set once the port is known (below); nothing is served before.
    isAllowedHost: () => false,
    requests: 0,
    isClosed: () => closed,
    delay: (ms) =>
      new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          pendingDelays.delete(finish);
          resolve();
        };
        const timer = setTimeout(finish, ms);
        pendingDelays.add(finish);
      }),
  };

  // Smart Pixel URLs may reach 30,720 chars (docs/protocol.md §4): Node's 16 KiB header default is too small.
  const server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    handle(ctx, req, res, verbose).catch((error: unknown) => {
      // Last line of defence: a handler bug answers 500 instead of crashing the process.
      if (verbose) console.error('[collector] handler error', error);
      if (!res.headersSent && !res.destroyed) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    store.close();
    throw error;
  }
  const actualPort = (server.address() as AddressInfo).port;
  ctx.isAllowedHost = createHostCheck(host, actualPort, allowedHosts);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${actualPort}`;
  let closing: Promise<void> | undefined;

  const collector: Collector = {
    url,
    port: actualPort,
    hits: (query) => (closed ? [] : store.query(query ?? {})),
    waitForHits: (count, { timeoutMs = 5000 } = {}) =>
      new Promise<StoredHit[]>((resolve, reject) => {
        if (store.count() >= count) {
          resolve(store.query());
          return;
        }
        const timer = setTimeout(() => {
          unsubscribe();
          reject(new Error(`waitForHits: ${store.count()} of ${count} hits after ${timeoutMs} ms`));
        }, timeoutMs);
        const unsubscribe = events.onHit(() => {
          if (store.count() < count) return;
          clearTimeout(timer);
          unsubscribe();
          resolve(store.query());
        });
      }),
    requestCount: () => ctx.requests,
    setFaults: (next) => faults.set(next),
    clear: () => {
      store.clear();
      ctx.requests = 0;
      events.publishClear();
    },
    onHit: (listener) => events.onHit(listener),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        for (const finish of [...pendingDelays]) finish();
        events.close();
        server.close(() => {
          store.close();
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
  return collector;
}

async function handle(ctx: CollectorContext, req: IncomingMessage, res: ServerResponse, verbose: boolean): Promise<void> {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? '' : rawUrl.slice(q + 1);
  if (verbose) res.on('finish', () => console.error(`[collector] ${req.method} ${path} ${res.statusCode}`));
  const route = matchTrackingPath(path);
  // Tracking stays open to any Host: it only writes hits, and a container or proxy may reach
  // it by any name. Everything else can read the stored hits (IPs, eids): see guard.ts.
  if (route) return handleTracking(ctx, req, res, route, stripHash(query));
  denyFraming(res);
  if (!ctx.isAllowedHost(req.headers.host)) {
    req.resume();
    sendText(
      res,
      421,
      `Host "${String(req.headers.host).slice(0, 200)}" is not this collector's address: use http://127.0.0.1:${req.socket.localPort ?? ''}/ or localhost, or start the collector with allowedHosts: ["<name>"] for another name.\n`,
    );
    return;
  }
  if (await handleControl(ctx, req, res, path, query)) return;
  req.resume();
  sendText(res, 404, 'not found\n');
}

function stripHash(query: string): string {
  const hash = query.indexOf('#');
  return hash < 0 ? query : query.slice(0, hash);
}
