import type { Middleware } from 'koa';
import { kit } from './kit.js';

/**
 * Route middleware: requests through it never become a page view, e.g.
 * `router.get('/health', noTracking(), handler)`. Mounted before `mappTracking()`, the
 * request is not even looked at: no visit, no cookie.
 */
export function noTracking(): Middleware {
  return function mappNoTracking(ctx, next) {
    kit.optOut(ctx);
    return next();
  };
}
