import type { MiddlewareHandler } from 'hono';
import { kit } from './kit.js';

/**
 * Route middleware: requests through it never become a page view, e.g.
 * `app.get('/health', noTracking(), (c) => c.text('ok'))`. Used before `mappTracking()`
 * (for example `app.use('/internal/*', noTracking())`), the request is not even looked at:
 * no visit, no cookie.
 */
export function noTracking(): MiddlewareHandler {
  return function mappNoTracking(c, next) {
    kit.optOut(c);
    return next();
  };
}
