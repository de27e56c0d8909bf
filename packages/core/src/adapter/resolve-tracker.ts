import { InvalidOptionError } from '../errors.js';
import type { Tracker, TrackerOptions } from '../types.js';
import type { AdapterTrackingOptions } from './adapter-options.js';

/**
 * The tracker an adapter sends to: the shared one, or one made by `create` from the tracker
 * options (the adapter's own extras split off). Throws at startup when both are given,
 * since the options would silently be ignored.
 * @internal
 */
export function resolveAdapterTracker<R>(
  options: AdapterTrackingOptions<R>,
  create: (trackerOptions: TrackerOptions) => Tracker,
): { tracker: Tracker; ownsTracker: boolean } {
  const { tracker, onError: _onError, ...trackerOptions } = options;
  if (tracker === undefined) return { tracker: create(trackerOptions), ownsTracker: true };
  const extra = Object.keys(trackerOptions).filter((key) => key !== 'logger');
  if (extra.length > 0) {
    throw new InvalidOptionError('tracker', `mappTracking(): pass either \`tracker\` or tracker options, not both (also got: ${extra.join(', ')}). Give these options to createTracker() instead.`);
  }
  return { tracker, ownsTracker: false };
}
