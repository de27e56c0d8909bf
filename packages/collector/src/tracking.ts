import { gunzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectorContext } from './context.js';
import { hitSignals, parseClient, requestSignals, type ClientSignals } from './client.js';
import { decodeComponent } from './decode.js';
import { TRACKING_GIF } from './gif.js';
import { BodyTooLargeError, normalizeAddress, readBody, sendText } from './http-util.js';
import type { NewHit } from './store.js';
import { validateLine } from './validate.js';

/** Batch bodies must stay under 24 MiB (docs/protocol.md §1); larger ones get 413. */
export const MAX_BATCH_BYTES = 24 * 1024 * 1024;
/** At most 10,000 lines per batch (docs/protocol.md §1); more get 413. */
export const MAX_BATCH_LINES = 10_000;

const TRACK_PATH = /^\/([^/]+)\/(wt|batch)$/;
const TRACK_IDS = /^\d{15}(,\d{15})*$/;
const NO_CACHE = { 'cache-control': 'no-cache, no-store, must-revalidate', pragma: 'no-cache', expires: '0' };

/** Matches `/<trackIds>/wt` and `/<trackIds>/batch`. */
export function matchTrackingPath(path: string): { trackId: string; endpoint: 'wt' | 'batch' } | undefined {
  const match = TRACK_PATH.exec(path);
  if (!match) return undefined;
  return { trackId: decodeComponent(match[1]!).value, endpoint: match[2] as 'wt' | 'batch' };
}

/** Handles one request to a tracking endpoint, faults included. */
export async function handleTracking(
  ctx: CollectorContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: { trackId: string; endpoint: 'wt' | 'batch' },
  query: string,
): Promise<void> {
  const method = req.method ?? 'GET';
  const allowed = route.endpoint === 'wt' ? ['GET', 'HEAD', 'OPTIONS'] : ['POST', 'OPTIONS'];
  if (!allowed.includes(method)) {
    sendText(res, 405, 'method not allowed\n', { allow: allowed.join(', ') });
    return;
  }
  if (method === 'OPTIONS') {
    res.writeHead(204, {
      allow: allowed.join(', '),
      'access-control-allow-origin': '*',
      'access-control-allow-methods': allowed.join(', '),
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
    });
    res.end();
    return;
  }
  // Every answered tracking request counts, the 404 for an unknown track id included
  // (types.ts: "including faulted ones"); HEAD and OPTIONS carry no hit.
  if (method !== 'HEAD') ctx.requests++;
  if (!isAcceptedTrackId(ctx, route.trackId)) {
    req.resume();
    sendText(res, 404, 'unknown track id\n');
    return;
  }
  if (method === 'HEAD') {
    res.writeHead(200, { 'content-type': 'image/gif', 'content-length': TRACKING_GIF.length, ...NO_CACHE });
    res.end();
    return;
  }

  const decision = ctx.faults.decide();
  if (decision.latencyMs > 0) await ctx.delay(decision.latencyMs);
  if (ctx.isClosed()) return;
  if (decision.kind === 'drop') {
    req.socket.destroy();
    return;
  }
  if (decision.kind === 'status') {
    req.resume();
    const headers: Record<string, string> = { 'access-control-allow-origin': '*' };
    if (decision.retryAfter !== undefined && decision.status >= 400) headers['retry-after'] = String(decision.retryAfter);
    if (route.endpoint === 'wt' && decision.status === 200) return sendGif(res);
    sendText(res, decision.status, decision.status >= 400 ? 'fault injected\n' : '', headers);
    return;
  }

  const clientAddress = normalizeAddress(req.socket.remoteAddress);
  const receivedAt = Date.now();
  const carrier = requestSignals(req.headers);
  if (route.endpoint === 'wt') {
    store(ctx, [toHit(`wt?${query}`, route.trackId, 'wt', clientAddress, receivedAt, carrier)]);
    sendGif(res);
    return;
  }

  let body: Buffer;
  try {
    body = await readBody(req, MAX_BATCH_BYTES);
    if (/gzip/i.test(String(req.headers['content-encoding'] ?? ''))) body = gunzipSync(body, { maxOutputLength: MAX_BATCH_BYTES });
  } catch (error) {
    const tooLarge = error instanceof BodyTooLargeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    if (tooLarge) {
      sendText(res, 413, `batch body over ${MAX_BATCH_BYTES} bytes\n`);
    } else if (!res.headersSent && !req.socket.destroyed) {
      sendText(res, 400, 'unreadable body\n');
    }
    return;
  }
  if (ctx.isClosed()) return;
  const lines = body
    .toString('utf8')
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line.trim() !== '');
  if (lines.length > MAX_BATCH_LINES) {
    sendText(res, 413, `batch has ${lines.length} lines, over ${MAX_BATCH_LINES}\n`);
    return;
  }
  store(
    ctx,
    lines.map((line) => toHit(line, route.trackId, 'batch', clientAddress, receivedAt, carrier)),
  );
  res.writeHead(200, { 'content-length': 0, 'access-control-allow-origin': '*', ...NO_CACHE });
  res.end();
}

function isAcceptedTrackId(ctx: CollectorContext, trackId: string): boolean {
  if (!TRACK_IDS.test(trackId)) return false;
  const accepted = ctx.trackIds;
  return accepted === undefined || trackId.split(',').every((id) => accepted.has(id));
}

function toHit(line: string, trackId: string, via: 'wt' | 'batch', clientAddress: string, receivedAt: number, carrier: ClientSignals): NewHit {
  const { params, p, problems, type } = validateLine(line, { via });
  // The beacon form is stored in the `wt?` form, as the contract says; the original shape is a problem-free fact.
  const raw = line.startsWith('?') ? `wt${line}` : line;
  // A hit naming no user agent is the carrying request's, as Mapp reads it (a browser's pixel GET).
  const own = hitSignals(params);
  const client = own !== undefined ? parseClient(own, 'hit') : parseClient(carrier, 'request');
  return { receivedAt, trackId, via, type, raw, params, p, clientAddress, problems, client };
}

function store(ctx: CollectorContext, hits: NewHit[]): void {
  ctx.events.publish(ctx.store.add(hits));
}

function sendGif(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'image/gif',
    'content-length': TRACKING_GIF.length,
    'access-control-allow-origin': '*',
    ...NO_CACHE,
  });
  res.end(TRACKING_GIF);
}
