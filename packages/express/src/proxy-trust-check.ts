import type { Logger, RequestContext } from '@mapp-s2s/core';

const FIX = "set mappTracking({ trustProxy: 'loopback' }) (or your proxies' addresses/CIDRs, or a hop count); set trustProxy: false to state that no proxy is in front";

/**
 * Makes a forgotten `trustProxy` visible: one warning at startup when it is not configured
 * at all, and one on the first request that arrives through a proxy while it is not set.
 * Express's own `trust proxy` setting is never adopted silently, only pointed at.
 * @internal
 */
export function createProxyTrustCheck(configured: boolean, logger: Logger): (context: RequestContext, expressTrustProxy: unknown) => void {
  let warnedHeader = configured;
  let warnedExpress = configured;
  if (!configured) {
    logger.warn(`[mapp-s2s] trustProxy is not set, so X-WT-IP is the TCP peer address. Behind a proxy or load balancer every visitor gets the proxy's IP: ${FIX}.`);
  }
  return (context, expressTrustProxy) => {
    if (!warnedExpress && expressTrustProxy !== undefined && expressTrustProxy !== false) {
      warnedExpress = true;
      logger.warn(`[mapp-s2s] Express 'trust proxy' is ${JSON.stringify(expressTrustProxy)} but mappTracking's trustProxy is not set and Express's setting is not adopted: pass the same value as mappTracking({ trustProxy }).`);
    }
    if (!warnedHeader && (context.headers['x-forwarded-for'] !== undefined || context.headers['forwarded'] !== undefined)) {
      warnedHeader = true;
      logger.warn(`[mapp-s2s] a request from ${context.remoteAddress ?? 'an unknown peer'} carries X-Forwarded-For/Forwarded, but trustProxy is not set, so the header is ignored and the peer's address is sent as the client IP: ${FIX}.`);
    }
  };
}
