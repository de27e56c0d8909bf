import type { HitData } from '../types.js';

/**
 * What a handler can say about its page view: any `HitData` except an `action` (a page
 * view with an action would be an event), plus `pageName` as a shorthand for `page.name`.
 */
export interface PageHitData extends Omit<HitData, 'action'> {
  /** Shorthand for `page.name`. */
  pageName?: string;
}
