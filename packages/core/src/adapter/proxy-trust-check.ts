import type { Logger, RequestContext } from '../types.js';

const FIX = "set mappTracking({ trustProxy: 'loopback' }) (or your proxies' addresses/CIDRs, or a hop count); set trustProxy: false to state that no proxy is in front";

/**
 * The warning for a framework's own proxy setting (Express `trust proxy`, Koa `app.proxy`)
 * while `trustProxy` is not set, or `undefined` when that setting trusts nothing.
 */
export type FrameworkTrustWarning = (frameworkSetting: unknown) => string | undefined;

/**
 * Makes a forgotten `trustProxy` visible: one warning at startup when it is not configured
 * at all, and one on the first request that arrives through a proxy while it is not set.
 * The framework's own proxy setting is never adopted silently, only pointed at (once).
 * @internal
 */
export interface ProxyTrustCheck {
  (context: RequestContext, frameworkSetting: unknown): void;
  /** Whether the framework's setting is still of interest (reading it per request costs). */
  readonly wantsFrameworkSetting: boolean;
}

export function createProxyTrustCheck(configured: boolean, logger: Logger, frameworkWarning: FrameworkTrustWarning): ProxyTrustCheck {
  let warnedHeader = configured;
  let warnedFramework = configured;
  if (!configured) {
    logger.warn(`[mapp-s2s] trustProxy is not set, so X-WT-IP is the TCP peer address. Behind a proxy or load balancer every visitor gets the proxy's IP: ${FIX}.`);
  }
  const check = (context: RequestContext, frameworkSetting: unknown): void => {
    if (!warnedFramework) {
      const warning = frameworkWarning(frameworkSetting);
      if (warning !== undefined) {
        warnedFramework = true;
        logger.warn(`[mapp-s2s] ${warning}`);
      }
    }
    if (!warnedHeader && (context.headers['x-forwarded-for'] !== undefined || context.headers['forwarded'] !== undefined)) {
      warnedHeader = true;
      logger.warn(`[mapp-s2s] a request from ${context.remoteAddress ?? 'an unknown peer'} carries X-Forwarded-For/Forwarded, but trustProxy is not set, so the header is ignored and the peer's address is sent as the client IP: ${FIX}.`);
    }
  };
  return Object.defineProperty(check, 'wantsFrameworkSetting', { get: () => !warnedFramework }) as ProxyTrustCheck;
}
