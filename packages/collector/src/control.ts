import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectorContext } from './context.js';
import { decodeComponent } from './decode.js';
import { controlWriteProblem } from './guard.js';
import { INSPECTOR_HTML } from './inspector-page.js';
import { readBody, sendJson, sendText } from './http-util.js';
import type { StoreQuery } from './store.js';
import type { StoredHit } from './types.js';

const CONTROL_BODY_LIMIT = 64 * 1024;
const TYPES = new Set<StoredHit['type']>(['page', 'event', 'order']);

/**
 * Routes that are never faulted: the control endpoint, the JSON API, the SSE stream and the
 * inspector page. Returns `false` when the path is not one of them.
 */
export async function handleControl(ctx: CollectorContext, req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<boolean> {
  const method = req.method ?? 'GET';
  const read = method === 'GET' || method === 'HEAD';
  // Writes only: reads are safe, a cross-site page cannot see their answers.
  if ((method === 'POST' || method === 'PUT') && (path === '/_control/faults' || path === '/_control/clear')) {
    const problem = controlWriteProblem(req);
    if (problem !== undefined) {
      req.resume();
      sendJson(res, problem.status, { error: problem.message });
      return true;
    }
  }
  switch (path) {
    case '/':
    case '/index.html':
      if (!ctx.inspector) return false;
      if (!read) return notAllowed(res, 'GET, HEAD');
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': Buffer.byteLength(INSPECTOR_HTML),
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:",
      });
      res.end(method === 'HEAD' ? undefined : INSPECTOR_HTML);
      return true;
    case '/favicon.ico':
      res.writeHead(204, { 'cache-control': 'max-age=86400' });
      res.end();
      return true;
    case '/api/hits':
      if (!read) return notAllowed(res, 'GET, HEAD');
      sendJson(res, 200, { hits: ctx.store.query(parseHitQuery(query)) });
      return true;
    case '/api/events': {
      if (method !== 'GET') return notAllowed(res, 'GET');
      const lastId = Number(req.headers['last-event-id']);
      const backlog = Number.isInteger(lastId) && lastId >= 0 ? ctx.store.query({ afterId: lastId, limit: 1000 }) : [];
      ctx.events.addStream(res, backlog);
      return true;
    }
    case '/api/stats':
    case '/_control/stats':
      if (!read) return notAllowed(res, 'GET, HEAD');
      sendJson(res, 200, stats(ctx));
      return true;
    case '/_control/health':
      sendJson(res, 200, { ok: true });
      return true;
    case '/_control/faults':
      if (read) {
        sendJson(res, 200, ctx.faults.get());
        return true;
      }
      if (method !== 'PUT' && method !== 'POST') return notAllowed(res, 'GET, PUT, POST');
      try {
        const body = await readBody(req, CONTROL_BODY_LIMIT);
        const text = body.toString('utf8').trim();
        ctx.faults.set(text === '' ? {} : (JSON.parse(text) as object));
        sendJson(res, 200, ctx.faults.get());
      } catch (error) {
        sendJson(res, 400, { error: error instanceof Error ? error.message : String(error) });
      }
      return true;
    case '/_control/clear':
      if (method !== 'POST') return notAllowed(res, 'POST');
      req.resume();
      ctx.store.clear();
      ctx.requests = 0;
      ctx.events.publishClear();
      sendJson(res, 200, { cleared: true });
      return true;
    default:
      return false;
  }
}

/** Counters for `/_control/stats` and the inspector. */
export function stats(ctx: CollectorContext): Record<string, unknown> {
  return {
    ...ctx.store.stats(Date.now()),
    requests: ctx.requests,
    faults: ctx.faults.get(),
    streams: ctx.events.streamCount(),
    streamsCutOff: ctx.events.cutOffCount(),
  };
}

function parseHitQuery(query: string): StoreQuery {
  const q: Record<string, string> = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq)).value;
    q[key] = decodeComponent((eq < 0 ? '' : pair.slice(eq + 1)).replace(/\+/g, '%20')).value;
  }
  const out: StoreQuery = { order: q['order'] === 'asc' ? 'asc' : 'desc', limit: clampLimit(q['limit']) };
  if (q['eid']) out.eid = q['eid'];
  if (q['eidContains']) out.eidContains = q['eidContains'];
  if (q['pageName']) out.pageName = q['pageName'];
  if (q['pageNameContains']) out.pageNameContains = q['pageNameContains'];
  if (q['type'] && TYPES.has(q['type'] as StoredHit['type'])) out.type = q['type'] as StoredHit['type'];
  if (q['problems'] === '1' || q['problems'] === 'true') out.problemsOnly = true;
  const afterId = Number(q['afterId']);
  if (q['afterId'] && Number.isInteger(afterId)) out.afterId = afterId;
  return out;
}

function clampLimit(raw: string | undefined): number {
  const n = Number(raw);
  if (!raw || !Number.isFinite(n) || n <= 0) return 200;
  return Math.min(Math.floor(n), 10_000);
}

function notAllowed(res: ServerResponse, allow: string): true {
  sendText(res, 405, 'method not allowed\n', { allow });
  return true;
}
