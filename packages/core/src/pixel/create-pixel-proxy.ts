import { MAX_SEND_LINE_CHARS } from '../encode.js';
import { fromWebRequest } from '../from-web-request.js';
import { resolveOptions, type TrackerEnv } from '../options.js';
import { decideConsent } from '../privacy.js';
import { requestFacts, splitUrl } from '../request-facts.js';
import { createTracker } from '../tracker.js';
import type { Tracker, Transport } from '../types.js';
import { buildEidCookie, readEid } from '../visitor.js';
import { compileBlacklist, isDroppedRequest } from './dropped-requests.js';
import { forwardToMapp } from './forward.js';
import { NO_CACHE_HEADERS, PASS_THROUGH_SECURITY_HEADERS, pixelAnswer } from './gif.js';
import { mappCookieHeader, mappCookieNames, rewriteSetCookies } from './mapp-cookies.js';
import { PIXEL_OPTION_KEYS, resolvePixelOptions, trackerOptionsOf } from './pixel-options.js';
import { clientInfoPairs, prepareLines, type PreparedLine } from './prepare-lines.js';
import { parsePixelQuery, type PixelQuery } from './query-line.js';
import { readCappedText, splitBodyLines } from './read-body.js';
import { isRejection, parsePixelRoute, splitTarget, type PixelRejection } from './route.js';
import type { PixelProxyEvent, PixelProxyHandler, PixelProxyOptions, PixelRejectReason, PixelRequestExtras } from './types.js';

/** Settings for adapters that build the default tracker themselves (e.g. with `spool` on Node). */
export interface CreatePixelProxySettings {
  /** Builds the tracker when `options.tracker` is not given. @default the main entry's `createTracker` */
  createTracker?: (options: PixelProxyOptions, env: TrackerEnv, settings: { extraOptionKeys: readonly string[] }) => Tracker;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function isTransport(value: Tracker | Transport): value is Transport {
  return typeof (value as Transport).send === 'function';
}

function textResponse(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(text, {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', ...NO_CACHE_HEADERS, ...PASS_THROUGH_SECURITY_HEADERS, ...extra },
  });
}

/** Path and query of the request as received, before any mount is stripped. */
function targetOf(request: Request, extras: PixelRequestExtras): { path: string; query: string } {
  if (extras.rawTarget !== undefined) return splitTarget(extras.rawTarget);
  const parts = splitUrl(request.url);
  return { path: parts.path, query: parts.search.startsWith('?') ? parts.search.slice(1) : parts.search };
}

/**
 * Creates the Smart Pixel pass-through handler (docs/protocol.md §9): a web-standard
 * `(request, extras) => Promise<Response>` that adapters mount at e.g. `/mapp/pixel`.
 *
 * It accepts the pixel's `sendViaServer` form (`GET <mount>?p=600,…`), the track-domain form
 * (`GET <mount>/<trackId>/wt?…`) and beacons (`POST <mount>/<trackId>/batch`), removes every
 * browser-sent `X-WT-IP`/`-UA`/`-RQ`/`-SEC-CH-UA*` and every pair whose key is not a plain
 * name, appends the server's own values, applies the core's privacy rules and visitor id,
 * then forwards (`mode: 'forward'`: one GET of up to the pixel's 30,720 characters) or queues
 * (`mode: 'queue'`: the transport sends a line over the 7 KB batch limit as its own GET).
 * The browser always gets our own answer (the GIF, or `204` for a beacon), never Mapp's
 * content type or body; only Mapp's allowlisted cookies pass. It is not an open proxy: the
 * upstream is always the configured track domain and the path may only name configured
 * track ids. Throws only at construction (bad options); the handler never rejects.
 */
export function createPixelProxy(options: PixelProxyOptions, env: TrackerEnv = {}, settings: CreatePixelProxySettings = {}): PixelProxyHandler {
  const pixel = resolvePixelOptions(options, env);
  const trackerOptions = trackerOptionsOf(options);
  const extraOptionKeys = PIXEL_OPTION_KEYS;
  // Validated with our keys known, so a typo like `forwardTimout` gets a "did you mean".
  const config = resolveOptions(options, env, { extraOptionKeys });
  const needsTracker = pixel.mode === 'queue' || options.fallback === undefined;
  const tracker: Tracker | undefined =
    options.tracker ??
    (needsTracker
      ? settings.createTracker !== undefined
        ? settings.createTracker(options, env, { extraOptionKeys })
        : createTracker(trackerOptions, env)
      : undefined);
  const fallback: Tracker | Transport | undefined = options.fallback === false ? undefined : (options.fallback ?? tracker);
  const allowedCookies = mappCookieNames(config.trackIds);
  const matchesBlacklist = compileBlacklist(pixel.blacklist);
  const onPixelEvent = options.onPixelEvent;

  const emit = (event: PixelProxyEvent): void => {
    if (onPixelEvent === undefined) return;
    try {
      onPixelEvent(event);
    } catch {
      // A listener's bug must never reach the request path.
    }
  };

  const reject = (rejection: PixelRejection): Response => {
    emit({ type: 'rejected', status: rejection.status, reason: rejection.reason });
    const extra: Record<string, string> = rejection.status === 405 ? { Allow: 'GET, HEAD, POST' } : {};
    return textResponse(rejection.status, `mapp-s2s pixel proxy: ${rejection.reason}\n`, extra);
  };

  const refuse = (status: PixelRejection['status'], reason: PixelRejectReason): Response => reject({ status, reason });

  /** Hands one line to a tracker or transport; resolves when it has an outcome, never rejects. */
  const hand = (target: Tracker | Transport, prepared: PreparedLine): Promise<unknown> => {
    if (isTransport(target)) {
      return target.send({ line: prepared.line, key: prepared.key, time: Date.now() }).catch((error: unknown) => ({ ok: false, error }));
    }
    if (target.sendLine === undefined) return Promise.resolve(undefined);
    return target.sendLine(prepared.line, { key: prepared.key }).then((result) => {
      emit({ type: 'queued', result });
      return result;
    });
  };

  const keepAlive = (extras: PixelRequestExtras, promise: Promise<unknown>): void => {
    if (extras.waitUntil === undefined) return;
    try {
      extras.waitUntil(promise);
    } catch (error) {
      emit({ type: 'error', error: asError(error) });
    }
  };

  /**
   * The raw pixel queries of the request: the URL's for GET, the body's lines for POST.
   * Lines over `maxQueryLength` (which the pixel never sends) are counted, not refused.
   */
  const queriesOf = async (request: Request, query: string, hasBody: boolean): Promise<{ queries: string[]; tooLong: number } | Response> => {
    if (!hasBody) return query.length > pixel.maxQueryLength ? { queries: [], tooLong: 1 } : { queries: [query], tooLong: 0 };
    const type = request.headers.get('content-type');
    if (type !== null && !/^text\/plain\s*(?:;|$)/i.test(type)) return refuse(415, 'content-type');
    const body = await readCappedText(request, pixel.maxBodyBytes);
    if (!body.ok) return body.reason === 'too-large' ? refuse(413, 'body-too-large') : refuse(400, 'body');
    const lines = splitBodyLines(body.text);
    if (lines.length > pixel.maxBodyLines) return refuse(413, 'body-too-large');
    if (lines.length === 0) return refuse(400, 'body');
    const queries: string[] = [];
    let tooLong = 0;
    for (const line of lines) {
      if (line === undefined) return refuse(400, 'body');
      if (line.length > pixel.maxQueryLength) tooLong++;
      else queries.push(line);
    }
    return { queries, tooLong };
  };

  async function handle(request: Request, extras: PixelRequestExtras): Promise<Response> {
    const method = request.method.toUpperCase();
    const { path, query } = targetOf(request, extras);
    const mountPath = extras.mountPath ?? pixel.mountPath;
    let subPath = path;
    if (mountPath !== '') {
      if (path !== mountPath && !path.startsWith(`${mountPath}/`)) return refuse(404, 'path');
      subPath = path.slice(mountPath.length);
    }
    const route = parsePixelRoute(method, subPath, config.trackId);
    if (isRejection(route)) return reject(route);
    if (method === 'HEAD') {
      emit({ type: 'skipped', reason: 'head', lines: 0 });
      return pixelAnswer(method);
    }

    const raw = await queriesOf(request, query, route.hasBody);
    if (raw instanceof Response) return raw;
    // Longer than the pixel ever sends: answered as usual (a pixel request queue would retry
    // an error forever), counted and reported, never sent.
    if (raw.tooLong > 0) emit({ type: 'skipped', reason: 'too-large', lines: raw.tooLong });
    if (raw.queries.length === 0) return pixelAnswer(method);
    const parsed: PixelQuery[] = [];
    for (const text of raw.queries) {
      const one = parsePixelQuery(text);
      if (one === undefined) return refuse(400, route.hasBody ? 'body' : 'query');
      parsed.push(one);
    }
    const spoofed = parsed.reduce((sum, one) => sum + one.removed, 0);
    if (spoofed > 0) emit({ type: 'spoof-removed', pairs: spoofed });
    const malformed = parsed.reduce((sum, one) => sum + one.malformed, 0);
    if (malformed > 0) emit({ type: 'malformed-removed', pairs: malformed });

    const ctx = fromWebRequest(request, { remoteAddress: extras.remoteAddress });
    const decision = await decideConsent(ctx, config);
    if (decision.error !== undefined) emit({ type: 'error', error: decision.error });
    if (decision.level === 'none') {
      const reason = decision.reason === 'opt-out' || decision.reason === 'privacy-signal' ? decision.reason : 'consent';
      emit({ type: 'skipped', reason, lines: parsed.length });
      return pixelAnswer(method);
    }

    const kept = parsed.filter((one) => !isDroppedRequest(one, pixel.droppedRequests, matchesBlacklist));
    if (kept.length < parsed.length) emit({ type: 'skipped', reason: 'dropped-requests', lines: parsed.length - kept.length });
    if (kept.length === 0) return pixelAnswer(method);

    const facts = requestFacts(ctx, config);
    const anonymous = decision.level === 'anonymous';
    const { lines: built, minted, identified } = prepareLines(kept, {
      anonymous,
      cookieEid: anonymous ? undefined : readEid(ctx.cookies, config.trackIds, config.cookie.name),
      serverCookie: pixel.serverCookie,
      clientInfo: clientInfoPairs(ctx, facts.ip, config.clientHints),
      compactClientInfo: () => clientInfoPairs(ctx, facts.ip, config.clientHints, true),
      fallbackKey: `a:${facts.ip ?? ''}|${ctx.headers['user-agent'] ?? ''}`,
    });
    // No 7 KB limit here (docs/protocol.md §4): a forwarded GET may be as long as the pixel's,
    // and the transport sends a queued line over 7 KB as its own GET. Queries are capped at
    // the pixel's length and our pairs kept in their room, so this guard never fires; it
    // keeps sendLine()'s limit and ours in step.
    const lines = built.filter((prepared) => prepared.line.length <= MAX_SEND_LINE_CHARS);
    if (lines.length < built.length) emit({ type: 'skipped', reason: 'too-large', lines: built.length - lines.length });
    const setCookies = minted === undefined ? [] : [buildEidCookie(minted, config.cookie, facts.scheme === 'https')];
    if (lines.length === 0) return pixelAnswer(method, setCookies);

    if (pixel.mode === 'queue') {
      const sends = lines.map((prepared) => (tracker === undefined ? Promise.resolve(undefined) : hand(tracker, prepared)));
      keepAlive(extras, Promise.all(sends));
      return pixelAnswer(method, setCookies);
    }

    // Mapp's third-party cookies let it recognise the visitor; never for anonymous hits.
    const cookie = identified ? mappCookieHeader(ctx.cookies, allowedCookies) : undefined;
    const outcome = await forwardToMapp(
      route.hasBody
        ? { url: `${config.origin}/${route.trackId}/batch`, method: 'POST', body: lines.map((prepared) => prepared.line).join('\n'), cookie }
        : { url: `${config.origin}/${route.trackId}/${lines[0]?.line ?? ''}`, method: 'GET', cookie },
      config.fetch,
      pixel.forwardTimeout,
    );
    if (!outcome.ok) {
      emit({ type: 'fallback', reason: outcome.reason, lines: lines.length, detail: outcome.detail });
      if (fallback !== undefined) keepAlive(extras, Promise.all(lines.map((prepared) => hand(fallback, prepared))));
      return pixelAnswer(method, setCookies);
    }
    emit({ type: 'forwarded', status: outcome.status, lines: lines.length, latencyMs: outcome.latencyMs });
    // Of Mapp's answer only its own cookies reach the browser, filtered and rescoped: its
    // status is in the event, its body and content type never touch the shop's origin.
    const relayedCookies = identified ? rewriteSetCookies(outcome.setCookies, allowedCookies, config.cookie.domain) : [];
    return pixelAnswer(method, [...relayedCookies, ...setCookies]);
  }

  return async function mappPixelProxy(request: Request, extras: PixelRequestExtras = {}): Promise<Response> {
    try {
      return await handle(request, extras);
    } catch (error) {
      // Never throw into the host app: the browser gets its GIF, the failure goes to the listener.
      emit({ type: 'error', error: asError(error) });
      return pixelAnswer(request.method.toUpperCase());
    }
  };
}
