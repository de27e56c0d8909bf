import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { kit } from './kit.js';

/**
 * Route middleware: requests through it never become a page view, e.g.
 * `app.get('/health', noTracking(), handler)`. Mounted before `mappTracking()` (for example
 * `app.use('/internal', noTracking())`), the request is not even looked at: no visit, no cookie.
 */
export function noTracking(): RequestHandler {
  return function mappNoTracking(req: Request, _res: Response, next: NextFunction): void {
    kit.optOut(req);
    next();
  };
}
