import type { ResolvedConfig } from './options.js';
import type { ConsentLevel, RequestContext, SkipReason } from './types.js';

/** The privacy decision for one request and, when it is `none`, why. */
export interface ConsentDecision {
  level: ConsentLevel;
  reason?: SkipReason;
  error?: Error;
}

/**
 * Decides the privacy level (PROTOCOL.md §7): `consent(ctx)` overrides everything; else
 * the opt-out cookie means no hit, the anonymous cookie means `nc=1`, and `Sec-GPC: 1` /
 * `DNT: 1` follow `privacySignals`. A throwing or rejecting `consent` counts as `none`:
 * when we cannot tell what the visitor allowed, we track nothing.
 */
export async function decideConsent(ctx: RequestContext, config: ResolvedConfig): Promise<ConsentDecision> {
  if (config.consent !== undefined) {
    try {
      const level = await config.consent(ctx);
      if (level === 'full' || level === 'anonymous') return { level };
      return { level: 'none', reason: 'consent' };
    } catch (error) {
      return { level: 'none', reason: 'consent', error: error instanceof Error ? error : new Error(String(error)) };
    }
  }
  return decideConsentSync(ctx, config);
}

/** The cookie and header rules, without the (possibly async) `consent` callback. */
export function decideConsentSync(ctx: RequestContext, config: ResolvedConfig): ConsentDecision {
  if (ctx.cookies[config.optOutCookie] !== undefined) return { level: 'none', reason: 'opt-out' };
  if (ctx.cookies[config.anonymousCookie] !== undefined) return { level: 'anonymous' };
  if (config.privacySignals !== 'ignore' && (ctx.headers['sec-gpc']?.trim() === '1' || ctx.headers.dnt?.trim() === '1')) {
    return config.privacySignals === 'skip' ? { level: 'none', reason: 'privacy-signal' } : { level: 'anonymous' };
  }
  return { level: 'full' };
}
