import { SetMetadata } from '@nestjs/common';
import type { PageHitData } from '@mapp-s2s/core';
import { MAPP_TRACKING_RULE } from './tokens.js';

/** What `@NoTracking()` and `@TrackAs()` leave on a controller or handler. @internal */
export interface TrackingRule {
  readonly noTracking?: true;
  readonly data?: PageHitData;
}

/**
 * Opts a controller (all its handlers) or one handler out of page-view tracking: no hit, and a
 * visitor cookie minted for the request is taken back. A handler's own `@TrackAs()` wins over
 * its controller's `@NoTracking()`.
 *
 * ```ts
 * @NoTracking()
 * @Controller('admin')
 * export class AdminController { ... }
 * ```
 */
export function NoTracking(): ClassDecorator & MethodDecorator {
  return SetMetadata<string, TrackingRule>(MAPP_TRACKING_RULE, { noTracking: true });
}

/**
 * Adds page data (as `trackPage()` would) to the page views of a controller or one handler,
 * e.g. `@TrackAs({ pageName: 'account/orders' })`. A controller's data comes first, then the
 * handler's, then what the handler passes to `trackPage()`: the later wins. On a handler it
 * also wins over its controller's `@NoTracking()`.
 */
export function TrackAs(data: PageHitData): ClassDecorator & MethodDecorator {
  return SetMetadata<string, TrackingRule>(MAPP_TRACKING_RULE, { data });
}
