/**
 * Retry policy shared by the batch transport and the `ship` job (docs/protocol.md §1):
 * network errors, timeouts, 5xx, 408 and 429 are retried; every other non-2xx is final.
 */

/**
 * The longest delay `setTimeout` keeps (2^31 - 1 ms, about 24.8 days): Node fires a longer one
 * after 1 ms (TimeoutOverflowWarning), so no retry wait may exceed it. @internal
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `true` for statuses worth another attempt. @internal */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds from `now`.
 * Returns `undefined` when absent or unparsable, so the caller falls back to backoff.
 * @internal
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"): a uniform delay in `[0, min(max, base * 2^(attempt-1)))`. Full jitter spreads
 * a fleet's retries after a shared outage instead of synchronising them.
 * @internal
 */
export function backoffDelay(attempt: number, base: number, max: number, random: () => number = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
