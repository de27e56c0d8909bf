import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectorContext } from './context.js';
import { decodeComponent } from './decode.js';
import type { StreamStart } from './event-hub.js';
import { controlWriteProblem } from './guard.js';
import { INSPECTOR_HTML } from './inspector-page.js';
import { readBody, sendJson, sendText } from './http-util.js';
import type { StoreQuery } from './store.js';
import type { StoredHit } from './types.js';

const CONTROL_BODY_LIMIT = 64 * 1024;
const TYPES: ReadonlyArray<StoredHit['type']> = ['page', 'event', 'order'];
/** Most hits one `/api/hits` answer holds (a larger `limit` is cut to it); 200 without `limit`. */
const MAX_HITS_LIMIT = 10_000;
const DEFAULT_HITS_LIMIT = 200;
const HITS_PARAMS = ['eid', 'eidContains', 'pageName', 'pageNameContains', 'type', 'problems', 'limit', 'order', 'afterId'];
const EVENTS_PARAMS = ['replayLimit'];
const WHOLE_NUMBER = /^\d{1,15}$/;
/**
 * Content-Security-Policy of the inspector page: its own inline script and style only, and no
 * framing by other pages (clickjacking; `X-Frame-Options: DENY` for older browsers, server.ts).
 */
const INSPECTOR_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

/** A query value the read-back API cannot use: answered `400` with this message. */
class BadQueryError extends Error {}

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
        'content-security-policy': INSPECTOR_CSP,
      });
      res.end(method === 'HEAD' ? undefined : INSPECTOR_HTML);
      return true;
    case '/favicon.ico':
      res.writeHead(204, { 'cache-control': 'max-age=86400' });
      res.end();
      return true;
    case '/api/hits':
      if (!read) return notAllowed(res, 'GET, HEAD');
      return answerQuery(res, () => sendJson(res, 200, { hits: ctx.store.query(parseHitQuery(query)) }));
    case '/api/events':
      if (method !== 'GET') return notAllowed(res, 'GET');
      return answerQuery(res, () => ctx.events.addStream(res, streamStart(ctx, header(req, 'last-event-id'), parseEventsQuery(query))));
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

/** Runs `answer`; a {@link BadQueryError} it throws becomes a `400` naming the parameter. */
function answerQuery(res: ServerResponse, answer: () => void): true {
  try {
    answer();
  } catch (error) {
    if (!(error instanceof BadQueryError)) throw error;
    sendJson(res, 400, { error: error.message });
  }
  return true;
}

/**
 * Decoded query parameters (`+` is a space, as forms write it; the first of repeated names
 * wins). A name outside `known` throws, so a typo is an error rather than no filter.
 */
function readQuery(query: string, known: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const decode = (raw: string): string => decodeComponent(raw.replace(/\+/g, '%20')).value;
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    if (!known.includes(name)) throw new BadQueryError(`unknown parameter "${preview(name)}" (known: ${known.join(', ')})`);
    if (!values.has(name)) values.set(name, decode(eq < 0 ? '' : pair.slice(eq + 1)));
  }
  return values;
}

/** The filters of `/api/hits`; an empty value is no filter, an invalid one throws {@link BadQueryError}. */
function parseHitQuery(query: string): StoreQuery {
  const q = readQuery(query, HITS_PARAMS);
  const out: StoreQuery = { order: oneOf(q, 'order', ['desc', 'asc']) ?? 'desc', limit: DEFAULT_HITS_LIMIT };
  const limit = wholeNumber(q, 'limit', 1, ` (at most ${MAX_HITS_LIMIT} hits are returned)`);
  if (limit !== undefined) out.limit = Math.min(limit, MAX_HITS_LIMIT);
  for (const name of ['eid', 'eidContains', 'pageName', 'pageNameContains'] as const) {
    const value = q.get(name);
    if (value) out[name] = value;
  }
  const type = oneOf(q, 'type', TYPES);
  if (type !== undefined) out.type = type;
  const problems = oneOf(q, 'problems', ['1', 'true', '0', 'false']);
  if (problems === '1' || problems === 'true') out.problemsOnly = true;
  const afterId = wholeNumber(q, 'afterId');
  if (afterId !== undefined) out.afterId = afterId;
  return out;
}

/** `replayLimit` of `/api/events`, or `undefined` (replay everything). */
function parseEventsQuery(query: string): number | undefined {
  return wholeNumber(readQuery(query, EVENTS_PARAMS), 'replayLimit');
}

/**
 * How a new `/api/events` stream starts. Without a usable `Last-Event-ID`: live. With one: the
 * hits after it, all of them, oldest first; when that hit is gone (a clear, or another database
 * after a restart), a `clear` and then every stored hit. With `replayLimit` and more hits than
 * that to replay: an `event: reload` instead.
 */
function streamStart(ctx: CollectorContext, lastEventId: string | undefined, replayLimit: number | undefined): StreamStart {
  if (lastEventId === undefined || !WHOLE_NUMBER.test(lastEventId.trim())) return { kind: 'live' };
  const lastId = Number(lastEventId.trim());
  const gone = lastId > 0 && !ctx.store.has(lastId);
  const afterId = gone ? 0 : lastId;
  if (replayLimit !== undefined) {
    const missed = ctx.store.countAfter(afterId);
    if (missed > replayLimit) return { kind: 'reload', newestId: ctx.store.newestId(), missed, replayLimit };
  }
  return { kind: 'replay', afterId, clearFirst: gone, page: (after, limit) => ctx.store.after(after, limit) };
}

/** The value of `name` when it is one of `allowed`; `undefined` when absent or empty; else throws. */
function oneOf<T extends string>(q: ReadonlyMap<string, string>, name: string, allowed: readonly T[]): T | undefined {
  const value = q.get(name);
  if (value === undefined || value === '') return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new BadQueryError(`${name} must be one of ${allowed.join(', ')}, got "${preview(value)}"`);
}

/** The whole number (at least `min`) of `name`; `undefined` when absent or empty; else throws, with `note` in the message. */
function wholeNumber(q: ReadonlyMap<string, string>, name: string, min = 0, note = ''): number | undefined {
  const value = q.get(name);
  if (value === undefined || value === '') return undefined;
  if (WHOLE_NUMBER.test(value) && Number(value) >= min) return Number(value);
  throw new BadQueryError(`${name} must be a whole number${min === 0 ? ' (0 or more)' : ` of at least ${min}`}${note}, got "${preview(value)}"`);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function preview(value: string): string {
  return value.length > 40 ? `${Array.from(value).slice(0, 40).join('')}…` : value;
}

function notAllowed(res: ServerResponse, allow: string): true {
  sendText(res, 405, 'method not allowed\n', { allow });
  return true;
}
