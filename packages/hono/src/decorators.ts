import type { PageHitData, TrackingDecorator } from '@mapp-s2s/core';
import { kit } from './kit.js';

/**
 * Opts a controller method, or every method of a controller class, out of page-view
 * tracking (TC39 standard or legacy `experimentalDecorators`). The method finds Hono's
 * context among its arguments:
 *
 * ```ts
 * @NoTracking()
 * class AdminController { index(c: Context) { ... } }
 * app.get('/admin', (c) => new AdminController().index(c));
 * ```
 */
export function NoTracking(): TrackingDecorator {
  return kit.NoTracking();
}

/**
 * Adds page data (as `trackPage()` would) to every page view a controller method or class
 * handles, e.g. `@TrackAs({ pageName: 'account/orders' })`; the handler's own `trackPage()`
 * calls come later and win.
 */
export function TrackAs(data: PageHitData): TrackingDecorator {
  return kit.TrackAs(data);
}
