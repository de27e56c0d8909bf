import type { Logger } from '../types.js';
import { gifResponse } from './gif.js';

/**
 * An adapter's answer to a failure of its own in the pixel pass-through (writing the answer,
 * an unexpected throw): the failure goes to `onError` (default: one `logger.warn`), the browser
 * gets the GIF. Never throws. `R` is the framework's request.
 * @internal
 */
export function createPixelFailure<R>(onError: ((error: Error, request: R) => void) | undefined, logger: Logger): (error: unknown, request: R) => Response {
  return (error, request) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    try {
      if (onError !== undefined) onError(failure, request);
      else logger.warn(`[mapp-s2s] pixel proxy failed (the browser got the GIF): ${failure.message}`);
    } catch (handlerError) {
      logger.error('[mapp-s2s] onError threw', handlerError);
    }
    return gifResponse();
  };
}
