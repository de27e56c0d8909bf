import { clientHintParams } from './client-hints.js';
import { validateLine } from './debug.js';
import { createDropWarnings } from './drop-warnings.js';
import { MAX_SEND_LINE_CHARS } from './encode.js';
import { UnsupportedTransportError } from './errors.js';
import { buildLine, type LineInput } from './hit.js';
import { anonymizeAddress, formatIp, parseIp } from './ip.js';
import { resolveOptions, type ResolvedConfig, type ResolveSettings, type TrackerEnv } from './options.js';
import { campaignFromQuery, defaultPageName, referrerField } from './page-name.js';
import { recordedResponseSkipReason, requestKindSkipReason, requestSkipReason, responseSkipReason } from './page-view.js';
import { decideConsent, decideConsentNow, isThenable, type ConsentDecision } from './privacy.js';
import { requestFacts, resolvePath, splitUrl, type RequestFacts } from './request-facts.js';
import { createBatchTransport } from './transport/batch.js';
import { createDirectTransport } from './transport/direct.js';
import { registerTrackerInternals, type FactsMemo } from './tracker-internals.js';
import type {
  DropReason,
  HitData,
  OutgoingHit,
  RecordedRequest,
  RequestContext,
  SendOutcome,
  SkipReason,
  TrackCallOptions,
  Tracker,
  TrackerEvent,
  TrackerOptions,
  TrackerStats,
  TrackResult,
  Transport,
  TransportFactory,
  Visit,
} from './types.js';
import { buildEidCookie, isEid, mintEid, readEid, readHandoverEid } from './visitor.js';

/**
 * Picks the transport factory for a resolved configuration.
 * @internal The Node entry passes its own resolver that adds `spool`.
 */
export type TransportResolver = (config: ResolvedConfig) => TransportFactory;

/**
 * The main (edge-safe) entry's resolver: your factory, `direct` or `batch`.
 * @internal
 */
export function resolveWebTransport(config: ResolvedConfig): TransportFactory {
  const transport = config.transport;
  if (typeof transport === 'function') return transport;
  if (transport === 'direct') return createDirectTransport({ timeout: config.timeout });
  // A 2 s default suits one GET, not a POST of up to 1 MiB: the batch transport keeps
  // its own default unless the user chose a timeout.
  if (transport === 'batch') return createBatchTransport(config.timeoutExplicit ? { ...config.batch, timeout: config.timeout } : { ...config.batch });
  throw new UnsupportedTransportError(
    "mapp-s2s: transport 'spool' writes files and needs Node. Import createTracker from '@mapp-s2s/core/node' instead of '@mapp-s2s/core', or choose transport 'direct' or 'batch'.",
  );
}

/** Extra settings for `createTracker`, for adapters whose options extend `TrackerOptions`. */
export interface CreateTrackerSettings {
  /** Option keys the adapter handles itself; they are not rejected as unknown. */
  extraOptionKeys?: readonly string[];
}

/**
 * Creates a tracker: validates the options (throwing a `TrackingError` that names the
 * fix), then turns requests into Mapp hits. Every request-path method resolves and never
 * rejects. `env` is usually `process.env`; explicit options win over it.
 */
export function createTracker(options: TrackerOptions, env: TrackerEnv = {}, settings: CreateTrackerSettings = {}): Tracker {
  return createTrackerWith(options, env, resolveWebTransport, { ...settings, defaultTransport: 'direct' });
}

/** Per-tracker counters, merged with the transport's in `stats()`. */
interface OwnStats {
  enqueued: number;
  dropped: Partial<Record<DropReason, number>>;
  /** Requests (and `track()` calls) that did not become a hit, by reason. */
  skipped: Partial<Record<SkipReason, number>>;
}

/** Swallows what nobody waits for. */
function ignore(): void {}

/** Error from a user callback or an unexpected throw, as an `Error`. */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Builds a tracker with a given transport resolver.
 * @internal Used by the Node entry to add the `spool` transport.
 */
export function createTrackerWith(
  options: TrackerOptions,
  env: TrackerEnv,
  resolveTransport: TransportResolver,
  settings: ResolveSettings = {},
  afterCreate?: (tracker: Tracker, config: ResolvedConfig) => void,
): Tracker {
  const config = resolveOptions(options, env, settings);
  const listeners = new Set<(event: TrackerEvent) => void>();
  const own: OwnStats = { enqueued: 0, dropped: {}, skipped: {} };
  let closed = false;
  // Every lost hit and every failed delivery is warned about, rate-limited, without a debug flag.
  const warnings = createDropWarnings(config.logger);

  const emit = (event: TrackerEvent): void => {
    if (event.type === 'dropped') warnings.dropped(event.reason, event.lines, event.detail);
    else if (event.type === 'retry') warnings.retrying(event.lines, event.reason);
    if (config.onEvent !== undefined) {
      try {
        config.onEvent(event);
      } catch {
        // A listener's bug must never reach the request path.
      }
    }
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // Same as above.
      }
    }
  };

  const transport: Transport | undefined = config.dryRun
    ? undefined
    : resolveTransport(config)({ origin: config.origin, trackId: config.trackId, fetch: config.fetch, emit, logger: config.logger });

  const reportError = (error: unknown): void => {
    emit({ type: 'error', error: asError(error) });
  };

  const drop = (reason: DropReason, line: string | undefined, detail?: string): TrackResult => {
    own.dropped[reason] = (own.dropped[reason] ?? 0) + 1;
    emit(detail === undefined ? { type: 'dropped', lines: 1, reason } : { type: 'dropped', lines: 1, reason, detail });
    const result: TrackResult = { ok: false, status: 'dropped', reason };
    if (line !== undefined) result.line = line;
    if (detail !== undefined) result.detail = detail;
    return result;
  };

  const toResult = (outcome: SendOutcome, line: string): TrackResult => {
    if (outcome.ok) return { ok: true, status: outcome.status, line };
    if (outcome.status === 'dropped') {
      const result: TrackResult = { ok: false, status: 'dropped', reason: outcome.reason, line };
      if (outcome.detail !== undefined) result.detail = outcome.detail;
      return result;
    }
    return { ok: false, status: 'failed', error: outcome.error, line };
  };

  /** Encodes, validates (debug), and hands one hit to the transport: every line of a split hit. */
  const dispatch = (input: LineInput, key: string): Promise<TrackResult> => {
    const built = buildLine(input);
    if (!built.ok) return Promise.resolve(drop('too-large', undefined, built.problems.join('; ')));
    if (built.lines !== undefined) return deliverLines(built.lines, key, input.time, built.problems);
    return deliver(built.line, key, input.time, built.problems);
  };

  /**
   * The lines of a hit split across several (its products over follow-up events, docs/protocol.md §4),
   * with the same key, each handed over once the previous one's send resolved: so even `direct`
   * (no per-key queue) delivers them in order. One promise for `waitUntil`. The result is the
   * first failure, else the first line's, with `lines`. Never rejects.
   */
  const deliverLines = (lines: string[], key: string, time: number, buildProblems: string[]): Promise<TrackResult> => {
    let result: TrackResult | undefined;
    let chain = Promise.resolve();
    lines.forEach((line, index) => {
      chain = chain
        .then(() => deliver(line, key, time, index === 0 ? buildProblems : [], false))
        .then((outcome) => {
          if (result === undefined || (result.ok && !outcome.ok)) result = outcome;
        });
    });
    const promise = chain.then(
      (): TrackResult => {
        const outcome = result as TrackResult; // deliver() never skips
        return outcome.status === 'skipped' ? outcome : { ...outcome, lines };
      },
      (error: unknown): TrackResult => ({ ok: false, status: 'failed', error: asError(error), line: lines[0] as string, lines }),
    );
    if (config.waitUntil !== undefined) {
      try {
        config.waitUntil(promise);
      } catch (error) {
        reportError(error);
      }
    }
    return promise;
  };

  /** Debug/dry-run handling, then the transport; the returned promise never rejects. */
  const deliver = (line: string, key: string, time: number, buildProblems: string[], register = true): Promise<TrackResult> => {
    if (config.debug || config.dryRun) {
      const problems = config.debug ? [...buildProblems, ...validateLine(line)] : [...buildProblems];
      emit({ type: 'debug', line, problems });
      if (config.debug) config.logger.debug(`mapp-s2s: ${line}`, ...(problems.length > 0 ? [problems] : []));
    }
    if (config.dryRun) return Promise.resolve({ ok: true, status: 'dry-run', line });
    if (closed || transport === undefined) return Promise.resolve(drop('closed', line));
    own.enqueued++;
    const hit: OutgoingHit = { line, key, time };
    let promise: Promise<TrackResult>;
    try {
      promise = transport.send(hit).then(
        (outcome) => toResult(outcome, line),
        (error: unknown) => ({ ok: false, status: 'failed', error: asError(error), line }),
      );
    } catch (error) {
      promise = Promise.resolve({ ok: false, status: 'failed', error: asError(error), line });
    }
    if (register && config.waitUntil !== undefined) {
      try {
        config.waitUntil(promise);
      } catch (error) {
        reportError(error);
      }
    }
    return promise;
  };

  const customerId = (ctx: RequestContext): string | undefined => {
    if (config.customerId === undefined) return undefined;
    try {
      const id = config.customerId(ctx);
      return typeof id === 'string' && id !== '' ? id : undefined;
    } catch (error) {
      reportError(error);
      return undefined;
    }
  };

  const pageNameFor = (ctx: RequestContext, facts: RequestFacts, data: HitData | undefined): string => {
    const explicit = data?.page?.name;
    if (explicit !== undefined && explicit !== '') return explicit;
    if (config.pageName !== undefined) {
      try {
        const name = config.pageName(ctx);
        if (typeof name === 'string' && name !== '') return name;
      } catch (error) {
        reportError(error);
      }
    }
    return defaultPageName(facts.host, facts.path, facts.search, config.pageNameParams);
  };

  const contextInput = (ctx: RequestContext, facts: RequestFacts, data: HitData | undefined): LineInput => ({
    pageName: pageNameFor(ctx, facts, data),
    time: hitTime(data),
    referrer: referrerField(ctx.headers.referer, facts.host, config.domains),
    anonymous: false,
    ip: facts.ip,
    userAgent: ctx.headers['user-agent'],
    pageUrl: facts.pageUrl,
    hints: config.clientHints ? clientHintParams(ctx.headers) : undefined,
    data,
  });

  const orderingKey = (input: LineInput): string => input.eid ?? (input.ceid !== undefined ? `c:${input.ceid}` : `a:${input.ip ?? ''}|${input.userAgent ?? ''}`);

  const skipped = (reason: SkipReason): TrackResult => {
    own.skipped[reason] = (own.skipped[reason] ?? 0) + 1;
    return { ok: false, status: 'skipped', reason };
  };

  /** With `debug`, says why a request did not become a hit. */
  const notTracked = (ctx: RequestContext, reason: SkipReason): TrackResult => {
    if (config.debug) {
      try {
        config.logger.debug(`mapp-s2s: not tracked (${reason}${SKIP_HINTS[reason] ?? ''}): ${ctx.method} ${ctx.url}`);
      } catch {
        // A broken logger must never reach the request path.
      }
    }
    return skipped(reason);
  };

  const failedVisit = (error: unknown): Visit => {
    reportError(error);
    return { consent: 'none', trackable: false, skipReason: 'disabled', isNewVisitor: false };
  };

  /** `begin()` as a plain value whenever `consent` and `skip` answer synchronously. */
  function beginNow(ctx: RequestContext, memo?: FactsMemo): Visit | Promise<Visit> {
    try {
      const decision = decideConsentNow(ctx, config);
      if (!isThenable(decision)) return afterConsent(ctx, decision, memo);
      return decision.then((settled) => afterConsent(ctx, settled, memo)).then(undefined, failedVisit);
    } catch (error) {
      return failedVisit(error);
    }
  }

  function afterConsent(ctx: RequestContext, decision: ConsentDecision, memo: FactsMemo | undefined): Visit | Promise<Visit> {
    if (decision.error !== undefined) reportError(decision.error);
    if (decision.level === 'none') return { consent: 'none', trackable: false, skipReason: decision.reason ?? 'consent', isNewVisitor: false };
    const facts = requestFacts(ctx, config);
    if (memo !== undefined) memo.facts = facts;
    const skipReason = requestSkipReason(ctx, facts, config);
    if (skipReason !== undefined || config.skip === undefined) return visitFor(ctx, decision, facts, skipReason);
    let skip: boolean | PromiseLike<boolean>;
    try {
      skip = config.skip(ctx);
    } catch (error) {
      reportError(error);
      return visitFor(ctx, decision, facts, 'skip');
    }
    if (!isThenable(skip)) return visitFor(ctx, decision, facts, skip === true ? 'skip' : undefined);
    return Promise.resolve(skip)
      .then(
        (answer) => visitFor(ctx, decision, facts, answer === true ? 'skip' : undefined),
        (error: unknown) => {
          reportError(error);
          return visitFor(ctx, decision, facts, 'skip');
        },
      )
      .then(undefined, failedVisit);
  }

  function visitFor(ctx: RequestContext, decision: ConsentDecision, facts: RequestFacts, skipReason: SkipReason | undefined): Visit {
    const visit: Visit = { consent: decision.level, trackable: skipReason === undefined, isNewVisitor: false };
    if (skipReason !== undefined) visit.skipReason = skipReason;
    if (decision.level === 'anonymous') return visit;
    visit.ceid = customerId(ctx);
    let eid = readEid(ctx.cookies, config.trackIds, config.cookie.name);
    if (eid === undefined && visit.trackable) {
      const now = Date.now();
      eid = readHandoverEid(facts.search, now);
      if (eid === undefined) {
        eid = mintEid(now);
        visit.isNewVisitor = true;
      }
      visit.setCookie = buildEidCookie(eid, config.cookie, facts.scheme === 'https');
    }
    visit.eid = eid;
    return visit;
  }

  function begin(ctx: RequestContext): Promise<Visit> {
    try {
      const visit = beginNow(ctx);
      // A sync throw in `visitFor` is caught inside beginNow; this only wraps the value.
      return isThenable(visit) ? visit : Promise.resolve(visit);
    } catch (error) {
      return Promise.resolve(failedVisit(error));
    }
  }

  /** A landing page's media code (`?wt_mc=...`) as the hit's campaign, unless the handler set one. */
  function withLandingCampaign(data: HitData | undefined, search: string): HitData | undefined {
    if (search.length < 2 || (data?.campaign?.mediaCode !== undefined && data.campaign.mediaCode !== '')) return data;
    const mediaCode = campaignFromQuery(search, config.campaignParams);
    if (mediaCode === undefined) return data;
    return { ...data, campaign: { ...data?.campaign, mediaCode } };
  }

  /** The page-view line of a finished request, or why there is none. */
  function pageViewInput(ctx: RequestContext, visit: Visit, data: HitData | undefined, memo: FactsMemo | undefined): LineInput | TrackResult {
    if (visit.consent === 'none') return notTracked(ctx, visit.skipReason ?? 'consent');
    if (!visit.trackable) return notTracked(ctx, visit.skipReason ?? 'skip');
    const responseReason = responseSkipReason(ctx);
    if (responseReason !== undefined) return notTracked(ctx, responseReason);
    const facts = memo?.facts ?? requestFacts(ctx, config);
    const input = contextInput(ctx, facts, withLandingCampaign(data, facts.search));
    input.anonymous = visit.consent === 'anonymous';
    if (!input.anonymous) {
      input.eid = visit.eid;
      input.isNewVisitor = visit.isNewVisitor;
      input.ceid = visit.ceid;
    }
    return input;
  }

  async function end(ctx: RequestContext, visit: Visit, data?: HitData): Promise<TrackResult> {
    try {
      const input = pageViewInput(ctx, visit, data, undefined);
      if (!('pageName' in input)) return input;
      return await dispatch(input, orderingKey(input));
    } catch (error) {
      reportError(error);
      return { ok: false, status: 'failed', error: asError(error) };
    }
  }

  /** The last promise `endQuietly` got from the transport, already given a rejection handler. */
  let quietlySent: Promise<SendOutcome> | undefined;

  /** `end()` without its promises: the line goes out the same way, the result is not kept. */
  function endQuietly(ctx: RequestContext, visit: Visit, data: HitData | undefined, memo?: FactsMemo): void {
    try {
      const input = pageViewInput(ctx, visit, data, memo);
      if (!('pageName' in input)) return;
      // waitUntil and debug/dry-run want the full result path; so does a closed tracker.
      if (config.waitUntil !== undefined || config.debug || config.dryRun || closed || transport === undefined) {
        void dispatch(input, orderingKey(input));
        return;
      }
      const built = buildLine(input);
      if (!built.ok) {
        drop('too-large', undefined, built.problems.join('; '));
        return;
      }
      if (built.lines !== undefined) {
        void deliverLines(built.lines, orderingKey(input), input.time, built.problems);
        return;
      }
      own.enqueued++;
      try {
        // `end()` turns a failed send into a failed result the adapter never reads; so does this.
        const sent = transport.send({ line: built.line, key: orderingKey(input), time: input.time });
        // One handler per promise is enough: the batch transport answers every queued hit with
        // the same settled promise, so this costs no promise and no microtask per hit there.
        if (sent !== quietlySent) {
          quietlySent = sent;
          sent.then(undefined, ignore);
        }
      } catch {
        // Same as above: a transport that throws instead of rejecting.
      }
    } catch (error) {
      reportError(error);
    }
  }

  /** `trackRecordedPageView()`: consent, then the page-view rules of a record (see `Tracker`). */
  function trackRecordedPageView(record: RecordedRequest): Promise<TrackResult> {
    try {
      const decision = decideConsentNow(record, config);
      if (!isThenable(decision)) return recordedAfterConsent(record, decision);
      return Promise.resolve(decision).then((settled) => recordedAfterConsent(record, settled)).then(undefined, failedResult);
    } catch (error) {
      return Promise.resolve(failedResult(error));
    }
  }

  function failedResult(error: unknown): TrackResult {
    reportError(error);
    return { ok: false, status: 'failed', error: asError(error) };
  }

  function recordedAfterConsent(record: RecordedRequest, decision: ConsentDecision): Promise<TrackResult> {
    if (decision.error !== undefined) reportError(decision.error);
    if (decision.level === 'none') return Promise.resolve(notTracked(record, decision.reason ?? 'consent'));
    // Most lines of a log are assets and bots: decided from the URL and headers alone, before
    // the client address and public host are derived (the same rules, in the same order).
    const parts = splitUrl(record.url);
    const kindReason = requestKindSkipReason(record, parts.path, parts.search, config);
    if (kindReason !== undefined) return Promise.resolve(notTracked(record, kindReason));
    const facts = requestFacts(record, config, parts);
    const reason = requestSkipReason(record, facts, config) ?? recordedResponseSkipReason(record);
    if (reason !== undefined) return Promise.resolve(notTracked(record, reason));
    if (config.skip === undefined) return recordedHit(record, decision, facts);
    let skip: boolean | PromiseLike<boolean>;
    try {
      skip = config.skip(record);
    } catch (error) {
      reportError(error);
      return Promise.resolve(notTracked(record, 'skip'));
    }
    if (!isThenable(skip)) return skip === true ? Promise.resolve(notTracked(record, 'skip')) : recordedHit(record, decision, facts);
    return Promise.resolve(skip).then(
      (answer) => (answer === true ? notTracked(record, 'skip') : recordedHit(record, decision, facts)),
      (error: unknown) => {
        reportError(error);
        return notTracked(record, 'skip');
      },
    );
  }

  function recordedHit(record: RecordedRequest, decision: ConsentDecision, facts: RequestFacts): Promise<TrackResult> {
    const time = typeof record.time === 'number' && Number.isFinite(record.time) && record.time > 0 ? record.time : undefined;
    if (time === undefined) return Promise.resolve(failedResult(new TypeError('mapp-s2s: trackRecordedPageView() needs the record\'s `time` in ms since the epoch')));
    const input = contextInput(record, facts, withLandingCampaign({ time }, facts.search));
    input.anonymous = decision.level === 'anonymous';
    if (!input.anonymous) {
      // A past request: its visitor is whoever its Mapp cookie says, never a new one.
      input.eid = readEid(record.cookies, config.trackIds, config.cookie.name);
      input.ceid = customerId(record);
    }
    return dispatch(input, orderingKey(input));
  }

  async function track(data: HitData, callOptions: TrackCallOptions = {}): Promise<TrackResult> {
    try {
      const ctx = callOptions.context;
      let visit = callOptions.visit;
      if (visit === undefined && ctx !== undefined) {
        const decision = await decideConsent(ctx, config);
        if (decision.error !== undefined) reportError(decision.error);
        visit = { consent: decision.level, trackable: true, isNewVisitor: false };
        if (decision.reason !== undefined) visit.skipReason = decision.reason;
        if (decision.level === 'full') {
          visit.eid = readEid(ctx.cookies, config.trackIds, config.cookie.name);
          visit.ceid = customerId(ctx);
        }
      }
      if (visit?.consent === 'none') return skipped(visit.skipReason === 'opt-out' || visit.skipReason === 'privacy-signal' ? visit.skipReason : 'consent');
      let input: LineInput;
      if (ctx !== undefined) {
        input = contextInput(ctx, requestFacts(ctx, config), data);
        // An event is not the page view: the referrer was already sent with it.
        if (input.referrer !== '0' && input.referrer !== '1') input.referrer = '2';
      } else {
        input = { pageName: data.page?.name ?? '', time: hitTime(data), referrer: '0', anonymous: false, data };
      }
      if (callOptions.pageUrl !== undefined) input.pageUrl = callOptions.pageUrl;
      if (ctx === undefined && (data.page?.name === undefined || data.page.name === '')) {
        const parts = input.pageUrl === undefined ? undefined : splitUrl(input.pageUrl);
        input.pageName = parts === undefined ? '0' : defaultPageName(parts.host.toLowerCase(), resolvePath(parts.path), parts.search, config.pageNameParams);
      }
      if (callOptions.userAgent !== undefined) input.userAgent = callOptions.userAgent;
      if (callOptions.ip !== undefined) {
        const address = parseIp(callOptions.ip);
        input.ip = address === undefined || !config.sendIp ? undefined : formatIp(config.anonymizeIp ? anonymizeAddress(address) : address);
      }
      input.anonymous = visit?.consent === 'anonymous';
      if (!input.anonymous) {
        input.eid = isEid(callOptions.eid) ? callOptions.eid : visit?.eid;
        input.ceid = callOptions.ceid ?? visit?.ceid;
      }
      return await dispatch(input, orderingKey(input));
    } catch (error) {
      reportError(error);
      return { ok: false, status: 'failed', error: asError(error) };
    }
  }

  const tracker: Tracker = {
    begin,
    end,
    async trackPageView(ctx, data) {
      return end(ctx, await begin(ctx), data);
    },
    track,
    trackRecordedPageView,
    async flush() {
      try {
        await transport?.flush();
      } catch (error) {
        reportError(error);
      }
    },
    async close(closeOptions) {
      if (closed) return;
      closed = true;
      try {
        await transport?.close(closeOptions);
      } catch (error) {
        reportError(error);
      }
      // What was dropped since the last warning line is said now, not lost with the process.
      warnings.flush();
    },
    stats(): TrackerStats {
      const base: TrackerStats = {
        enqueued: own.enqueued,
        sent: 0,
        retried: 0,
        dropped: { ...own.dropped },
        skipped: { ...own.skipped },
        spooled: 0,
        queueDepth: 0,
        queueBytes: 0,
        inFlight: 0,
        latencyMs: { p50: 0, p99: 0, max: 0, count: 0 },
      };
      let extra: Partial<TrackerStats> | undefined;
      try {
        extra = transport?.stats?.();
      } catch (error) {
        reportError(error);
      }
      if (extra === undefined) return base;
      const dropped = { ...base.dropped };
      for (const [reason, count] of Object.entries(extra.dropped ?? {}) as Array<[DropReason, number]>) {
        dropped[reason] = (dropped[reason] ?? 0) + count;
      }
      const merged: TrackerStats = {
        enqueued: Math.max(base.enqueued, extra.enqueued ?? 0),
        sent: extra.sent ?? 0,
        retried: extra.retried ?? 0,
        dropped,
        skipped: base.skipped,
        spooled: extra.spooled ?? 0,
        queueDepth: extra.queueDepth ?? 0,
        queueBytes: extra.queueBytes ?? 0,
        inFlight: extra.inFlight ?? 0,
        latencyMs: extra.latencyMs ?? base.latencyMs,
      };
      if (extra.spoolBytes !== undefined) merged.spoolBytes = extra.spoolBytes;
      return merged;
    },
    async sendLine(line, lineOptions = {}) {
      try {
        if (typeof line !== 'string' || !line.startsWith('wt?') || line.includes('\r') || line.includes('\n')) {
          return drop('invalid', undefined, 'a line must start with wt? and contain no CR/LF');
        }
        // A pass-through line may be as long as the Smart Pixel sends plus our pairs; the
        // transport sends one over the 7 KB batch limit as its own GET.
        if (line.length > MAX_SEND_LINE_CHARS) return drop('too-large', undefined, `line is ${line.length} characters, over ${MAX_SEND_LINE_CHARS}`);
        const time = lineOptions.time ?? Date.now();
        return await deliver(line, lineOptions.key ?? 'line', time, []);
      } catch (error) {
        reportError(error);
        return { ok: false, status: 'failed', error: asError(error) };
      }
    },
    on(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
  const atExit = (count: number, detail: string): void => {
    if (count > 0) {
      own.dropped.closed = (own.dropped.closed ?? 0) + count;
      emit({ type: 'dropped', lines: count, reason: 'closed', detail });
    }
    // Summaries still waiting for their 10 s window are said now: no timer fires any more.
    warnings.flush();
  };
  registerTrackerInternals(tracker, { begin, end, beginNow, endQuietly, skipRoute: (ctx) => void notTracked(ctx, 'route'), atExit });
  afterCreate?.(tracker, config);
  return tracker;
}

/** What `debug` adds to a skip reason that is not self-explaining. */
const SKIP_HINTS: Partial<Record<SkipReason, string>> = {
  bot: ': the User-Agent is a bot or missing (curl counts as a bot)',
  'content-type': ': the response is not HTML',
  status: ': the response status is not 2xx or 304',
  prefetch: ': a prefetch or prerender, not a page view',
  asset: ': a static asset (ignoreStaticAssets)',
  method: ': only GET requests are page views',
  'opt-out': ': the opt-out cookie is set',
  'privacy-signal': ': Sec-GPC/DNT with privacySignals "skip"',
  route: ': noTracking() or @NoTracking() on this route',
  excluded: ': matches `exclude`',
  'not-included': ': does not match `include`',
  'no-host': ': no valid Host header (nor a trusted forwarded host), so no page URL to report',
};

/** `p` field 7: the hit's event time in ms, now unless the data says otherwise. */
function hitTime(data: HitData | undefined): number {
  const time = data?.time;
  if (time instanceof Date) {
    const ms = time.getTime();
    return Number.isFinite(ms) ? ms : Date.now();
  }
  return typeof time === 'number' && Number.isFinite(time) && time > 0 ? time : Date.now();
}
