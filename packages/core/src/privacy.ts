import type { ResolvedConfig } from './options.js';
import type { ConsentLevel, RequestContext, SkipReason } from './types.js';

/** The privacy decision for one request and, when it is `none`, why. */
export interface ConsentDecision {
  level: ConsentLevel;
  reason?: SkipReason;
  error?: Error;
}

/**
 * Decides the privacy level (docs/protocol.md §7): `consent(ctx)` overrides everything; else
 * the opt-out cookie means no hit, the anonymous cookie means `nc=1`, and `Sec-GPC: 1` /
 * `DNT: 1` follow `privacySignals`. A throwing or rejecting `consent` counts as `none`:
 * when we cannot tell what the visitor allowed, we track nothing.
 */
export async function decideConsent(ctx: RequestContext, config: ResolvedConfig): Promise<ConsentDecision> {
  return decideConsentNow(ctx, config);
}

/**
 * `decideConsent` without a promise when the answer is synchronous: the request path of
 * the adapters decides most requests without a microtask. A `consent` callback that
 * returns a promise makes the result a promise (which never rejects).
 */
export function decideConsentNow(ctx: RequestContext, config: ResolvedConfig): ConsentDecision | Promise<ConsentDecision> {
  if (config.consent === undefined) return decideConsentSync(ctx, config);
  let level: ConsentLevel | PromiseLike<ConsentLevel>;
  try {
    level = config.consent(ctx);
  } catch (error) {
    return consentFailed(error);
  }
  if (isThenable(level)) return Promise.resolve(level).then(consentLevelDecision, consentFailed);
  return consentLevelDecision(level);
}

function consentLevelDecision(level: unknown): ConsentDecision {
  if (level === 'full' || level === 'anonymous') return { level };
  return { level: 'none', reason: 'consent' };
}

function consentFailed(error: unknown): ConsentDecision {
  return { level: 'none', reason: 'consent', error: error instanceof Error ? error : new Error(String(error)) };
}

/** Whether a callback's answer must be awaited (what `await` would treat as a promise). */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** The decisions the cookie and header rules can take: shared, never mutated (one per request otherwise). */
const FULL: ConsentDecision = Object.freeze({ level: 'full' });
const ANONYMOUS: ConsentDecision = Object.freeze({ level: 'anonymous' });
const OPTED_OUT: ConsentDecision = Object.freeze({ level: 'none', reason: 'opt-out' });
const SIGNAL_SKIP: ConsentDecision = Object.freeze({ level: 'none', reason: 'privacy-signal' });

/** The cookie and header rules, without the (possibly async) `consent` callback. */
export function decideConsentSync(ctx: RequestContext, config: ResolvedConfig): ConsentDecision {
  if (ctx.cookies[config.optOutCookie] !== undefined) return OPTED_OUT;
  if (ctx.cookies[config.anonymousCookie] !== undefined) return ANONYMOUS;
  if (config.privacySignals !== 'ignore' && (ctx.headers['sec-gpc']?.trim() === '1' || ctx.headers.dnt?.trim() === '1')) {
    return config.privacySignals === 'skip' ? SIGNAL_SKIP : ANONYMOUS;
  }
  return FULL;
}
