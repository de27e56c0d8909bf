import type { Logger, TrackerEvent } from '../types.js';

const MAX_REMEMBERED = 32;

/** Turns anything thrown into an `Error`. @internal */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** The failure a tracker event reports, if it reports one. @internal */
export function eventError(event: TrackerEvent): Error | undefined {
  if (event.type === 'error') return event.error;
  if (event.type !== 'dropped') return undefined;
  const detail = event.detail === undefined ? '' : `: ${event.detail}`;
  return new Error(`${event.lines} hit${event.lines === 1 ? '' : 's'} dropped (${event.reason}${detail})`);
}

/**
 * Builds an adapter's error sink: the user's `onError`, or one warning per distinct message
 * (an outage must not flood the log with one line per request). Never throws.
 * @internal
 */
export function createErrorReporter<R>(
  onError: ((error: Error, request: R | undefined) => void) | undefined,
  logger: Logger,
): (error: unknown, request: R | undefined) => void {
  const seen = new Set<string>();
  return (value, request) => {
    const error = toError(value);
    try {
      if (onError) {
        onError(error, request);
      } else if (!seen.has(error.message) && seen.size < MAX_REMEMBERED) {
        seen.add(error.message);
        logger.warn(`[mapp-s2s] tracking failed (the request was not affected): ${error.message}`);
      }
    } catch (handlerError) {
      // A throwing onError must not become the app's error either.
      logger.error('[mapp-s2s] onError threw', handlerError);
    }
  };
}
