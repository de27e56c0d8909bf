import { gunzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectorContext } from './context.js';
import { hitSignals, parseClient, requestSignals, type ClientSignals } from './client.js';
import { decodeComponent } from './decode.js';
import { TRACKING_GIF } from './gif.js';
import { BodyTooLargeError, normalizeAddress, readBody, sendText } from './http-util.js';
import type { NewHit } from './store.js';
import { validateLine, type ClientInfoHeaderName, type ClientInfoHeaders } from './validate.js';

/**
 * Batch bodies must stay under 24 MiB (docs/protocol.md §1): a body of this many bytes or
 * more, as sent or after gzip decoding, gets 413.
 */
export const MAX_BATCH_BYTES = 24 * 1024 * 1024;
/** At most 10,000 lines per batch (docs/protocol.md §1); more get 413. */
export const MAX_BATCH_LINES = 10_000;

const TRACK_PATH = /^\/([^/]+)\/(wt|batch)$/;
const TRACK_IDS = /^\d{15}(,\d{15})*$/;
const NO_CACHE = { 'cache-control': 'no-cache, no-store, must-revalidate', pragma: 'no-cache', expires: '0' };
/** Largest body read: one byte under {@link MAX_BATCH_BYTES}, which itself is too large. */
const MAX_BODY_READ = MAX_BATCH_BYTES - 1;
/** `Content-Encoding`s of a batch the collector can decode (`x-gzip`: gzip's old name, RFC 9110 §8.4.1.3). */
const SUPPORTED_ENCODINGS = 'gzip or identity (none)';
const CLIENT_INFO_HEADER_NAMES: readonly ClientInfoHeaderName[] = ['X-WT-UA', 'X-WT-IP', 'X-WT-RQ'];

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
  if (ctx.faults.isDown()) {
    // downForMs: every connection is destroyed, whatever its method; a hit carrier still counts.
    if (method !== 'HEAD' && method !== 'OPTIONS' && allowed.includes(method)) ctx.requests++;
    req.socket.destroy();
    return;
  }
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
    store(ctx, [toHit(`wt?${query}`, route.trackId, 'wt', clientAddress, receivedAt, carrier, clientInfoHeaders(req))]);
    sendGif(res);
    return;
  }

  const encoding = batchEncoding(req.headers['content-encoding']);
  if (encoding === undefined) {
    req.resume();
    sendText(res, 415, `Content-Encoding "${String(req.headers['content-encoding']).slice(0, 100)}" is not supported: send the batch as ${SUPPORTED_ENCODINGS}\n`, {
      'accept-encoding': 'gzip, identity',
    });
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req, MAX_BODY_READ);
    if (encoding === 'gzip') body = gunzipSync(body, { maxOutputLength: MAX_BODY_READ });
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      sendText(res, 413, `batch body of ${MAX_BATCH_BYTES} bytes (24 MiB) or more; it must be smaller\n`);
    } else if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      sendText(res, 413, `gzip-decoded batch body of ${MAX_BATCH_BYTES} bytes (24 MiB) or more; it must be smaller\n`);
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

/**
 * `gzip` or `identity` for a batch's `Content-Encoding` header, `undefined` for anything else
 * (deflate, br, a chain of codings): the collector decodes only gzip.
 */
function batchEncoding(header: string | undefined): 'gzip' | 'identity' | undefined {
  const codings = (header ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return 'identity';
  return codings.length === 1 && (codings[0] === 'gzip' || codings[0] === 'x-gzip') ? 'gzip' : undefined;
}

/**
 * The `X-WT-UA`, `X-WT-IP` and `X-WT-RQ` request headers of a single GET: they count as the
 * parameters of the same name, and win over them (docs/protocol.md §5: Mapp prefers headers).
 * A batch's lines carry their own (§5: whether batch headers apply to every line is open).
 */
function clientInfoHeaders(req: IncomingMessage): ClientInfoHeaders {
  const headers: Partial<Record<ClientInfoHeaderName, string>> = {};
  for (const name of CLIENT_INFO_HEADER_NAMES) {
    const value = req.headers[name.toLowerCase()];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function toHit(
  line: string,
  trackId: string,
  via: 'wt' | 'batch',
  clientAddress: string,
  receivedAt: number,
  carrier: ClientSignals,
  headers?: ClientInfoHeaders,
): NewHit {
  const { params, p, problems, type } = validateLine(line, headers === undefined ? { via } : { via, headers });
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
