import type { PageHitData, TrackingDecorator } from '@mapp-s2s/core';
import { kit } from './kit.js';

/**
 * Opts a controller method, or every method of a controller class, out of page-view tracking.
 * Works as a TC39 standard decorator and as a legacy `experimentalDecorators` one.
 *
 * ```ts
 * @NoTracking()
 * class AdminController { index(req: Request, res: Response) { ... } }
 * const admin = new AdminController();
 * app.get('/admin', (req, res) => admin.index(req, res)); // or admin.index.bind(admin)
 * ```
 */
export function NoTracking(): TrackingDecorator {
  return kit.NoTracking();
}

/**
 * Adds page data (as `trackPage()` would) to every page view handled by a controller method
 * or class, e.g. `@TrackAs({ pageName: 'account/orders' })`. The handler's own `trackPage()`
 * calls run later and win.
 */
export function TrackAs(data: PageHitData): TrackingDecorator {
  return kit.TrackAs(data);
}
