import type { Logger } from '../types.js';

const MAX_REMEMBERED = 32;

/** Turns anything thrown into an `Error`. @internal */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
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
