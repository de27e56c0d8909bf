import { createTracker, InvalidOptionError } from '@mapp-s2s/core/node';
import type { Tracker } from '@mapp-s2s/core';
import type { KoaTrackingOptions } from './options.js';

/**
 * The tracker a middleware sends to: the shared one, or one created from the options with
 * `process.env` as fallback (core reads no environment itself). Throws at startup when both
 * are given, since the options would silently be ignored.
 * @internal
 */
export function resolveTracker(options: KoaTrackingOptions): { tracker: Tracker; ownsTracker: boolean } {
  const { tracker, onError: _onError, ...trackerOptions } = options;
  if (tracker === undefined) return { tracker: createTracker(trackerOptions, process.env), ownsTracker: true };
  const extra = Object.keys(trackerOptions).filter((key) => key !== 'logger');
  if (extra.length > 0) {
    throw new InvalidOptionError('tracker', `mappTracking(): pass either \`tracker\` or tracker options, not both (also got: ${extra.join(', ')}). Give these options to createTracker() instead.`);
  }
  return { tracker, ownsTracker: false };
}
