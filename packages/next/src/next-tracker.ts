import { createTracker, reportLossAtExit } from '@mapp-s2s/core';
import type { RequestContext, TrackResult, Tracker, TrackerOptions, Visit } from '@mapp-s2s/core';
import { isEdgeRuntime, readProcessEnv } from './env.js';
import { middlewareCookies, toContext } from './to-context.js';
import type { NextTracker, NextTrackerOptions, RequestSource } from './types.js';

/** Chooses the transport for this runtime: Edge isolates cannot keep a batch queue alive between requests. */
function runtimeOptions(options: TrackerOptions, env: Readonly<Record<string, string | undefined>>): TrackerOptions {
  if (!isEdgeRuntime()) return options;
  const wanted = options.transport ?? env['MAPP_TRANSPORT'];
  if (wanted === undefined || wanted === 'direct' || typeof wanted === 'function') return options;
  (options.logger ?? console).warn(
    `[mapp-s2s/next] transport "${String(wanted)}" is not available on the Edge runtime; using "direct" (one GET per hit inside event.waitUntil). Use proxy.ts (Node.js) for batching.`,
  );
  return { ...options, transport: 'direct' };
}

/** What the exit report tells a Next.js user (see `watchShutdown`). */
const SHUTDOWN_HINT =
  'Next.js calls process.exit() on SIGTERM and SIGINT; to deliver them, set NEXT_MANUAL_SIG_HANDLE=true and close the tracker in your own handler (see the @mapp-s2s/next README, "Shutdown")';

interface SignalProcess {
  listenerCount?: (signal: string) => number;
  once?: (signal: string, listener: () => void) => unknown;
}

/**
 * `next start` ends the process with `process.exit()` on SIGTERM/SIGINT once its server has
 * closed, so a batch queue never gets its `beforeExit`. On the Node.js runtime: start
 * delivering at the signal (best effort: Next's exit may come first), and at exit report
 * whatever is still in memory as dropped `closed` (counter, event, warning line) instead of
 * losing it silently. A signal listener is added only where someone (Next.js) already
 * handles that signal: the first listener would otherwise stop Node's default exit.
 */
function watchShutdown(tracker: Tracker): void {
  reportLossAtExit(tracker, SHUTDOWN_HINT);
  const proc = (globalThis as { process?: SignalProcess }).process;
  if (typeof proc?.listenerCount !== 'function' || typeof proc.once !== 'function') return;
  openTrackers.add(tracker);
  const close = tracker.close.bind(tracker);
  tracker.close = async (options) => {
    openTrackers.delete(tracker);
    await close(options);
  };
  // One listener per signal for every tracker of the process.
  for (const signal of ['SIGTERM', 'SIGINT']) {
    if (listening.has(signal) || proc.listenerCount(signal) === 0) continue;
    listening.add(signal);
    proc.once(signal, () => {
      listening.delete(signal);
      for (const each of openTrackers) void each.flush().catch(() => undefined);
    });
  }
}

/** Trackers to flush at SIGTERM/SIGINT, and the signals listened to. */
const openTrackers = new Set<Tracker>();
const listening = new Set<string>();

/** `true` when the browser itself sent this value in its `Cookie` header. */
function cookieHeaderHas(source: RequestSource, value: string): boolean {
  return (source.headers.get('cookie') ?? '').split(';').some((pair) => pair.slice(pair.indexOf('=') + 1).trim() === value);
}

/**
 * Creates one lazily built tracker for a Next.js app. Put it in a module of its own
 * (`lib/mapp.ts`) and import it from `proxy.ts`/`middleware.ts`, route handlers and server
 * actions. Options come from the arguments and the environment (`MAPP_TRACK_ID`,
 * `MAPP_TRACK_DOMAIN`, `MAPP_TRANSPORT`, `MAPP_TRUST_PROXY`...), read at the first request:
 * `next build` evaluates server modules without your runtime env, so a missing track id
 * must not fail the build. A bad configuration is logged once and tracking stays off;
 * requests are never affected.
 */
export function createNextTracker(options: NextTrackerOptions = {}): NextTracker {
  const { env, remoteAddress, protocol, ...trackerOptions } = options;
  let tracker: Tracker | undefined;
  let failed = false;

  function getTracker(): Tracker | undefined {
    if (tracker || failed) return tracker;
    const resolvedEnv = env ?? readProcessEnv();
    try {
      tracker = createTracker(runtimeOptions(trackerOptions, resolvedEnv), resolvedEnv);
      if (!isEdgeRuntime()) watchShutdown(tracker);
    } catch (error) {
      failed = true;
      (trackerOptions.logger ?? console).error('[mapp-s2s/next] tracking is disabled: invalid configuration.', error);
    }
    return tracker;
  }

  function contextOf(source: RequestSource) {
    return toContext(source, { remoteAddress: remoteAddress?.(source), protocol: protocol?.(source) });
  }

  /** Runs `send` with the request's context and visit; never rejects. */
  async function withVisit(
    source: RequestSource,
    send: (active: Tracker, context: RequestContext, visit: Visit) => Promise<TrackResult>,
  ): Promise<TrackResult> {
    const active = getTracker();
    if (!active) return { ok: false, status: 'skipped', reason: 'disabled' };
    try {
      const context = contextOf(source);
      // begin() applies the same consent, opt-out and visitor-id rules as the middleware did.
      const visit = await active.begin(context);
      return await send(active, context, visit);
    } catch (error) {
      return { ok: false, status: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  return {
    getTracker,
    toContext: contextOf,
    async trackEvent(data, source) {
      const active = getTracker();
      if (!active) return { ok: false, status: 'skipped', reason: 'disabled' };
      try {
        // Without a visit the core applies consent and reads the visitor id from the cookies;
        // an event never mints an id of its own.
        return await active.track(data, { context: contextOf(source) });
      } catch (error) {
        return { ok: false, status: 'failed', error: error instanceof Error ? error : new Error(String(error)) };
      }
    },
    trackPageView: (data, source) =>
      withVisit(source, (active, context, visit) => {
        // The middleware minted this visitor's id for this very request: still a new visitor (`one=1`).
        const eid = visit.eid;
        const newVisitor = eid !== undefined && Object.values(middlewareCookies(source)).includes(eid) && !cookieHeaderHas(source, eid);
        return active.end(context, newVisitor ? { ...visit, isNewVisitor: true } : visit, data);
      }),
    flush: async () => {
      await tracker?.flush();
    },
    close: async () => {
      await tracker?.close();
    },
  };
}
