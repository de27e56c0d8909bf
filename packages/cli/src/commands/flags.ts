/**
 * Numeric flags shared by `ship` and `import`, with the bounds their `--help` documents: a
 * value outside them is a usage error (exit code 2), never silently clamped.
 */

/** A flag error: the command prints it with a pointer to `--help` and exits 2. */
export class UsageError extends Error {}

/** An inclusive range of whole numbers, and the unit that `--help` gives it in. */
export interface FlagBound {
  readonly min: number;
  readonly max: number;
  readonly unit: string;
}

/**
 * The documented bounds. `--timeout` and `--max-retry-after` feed timers, which Node cannot
 * set beyond 2^31-1 ms (about 24.8 days; a longer one fires after 1 ms): both stay far below.
 */
export const FLAG_BOUNDS = {
  batchSize: { min: 1, max: 10_000, unit: 'lines' },
  maxAttempts: { min: 1, max: Number.MAX_SAFE_INTEGER, unit: 'attempts' },
  timeout: { min: 1, max: 600_000, unit: 'ms' },
  maxFileAge: { min: 1, max: Number.MAX_SAFE_INTEGER, unit: 'ms' },
  maxRetryAfter: { min: 1, max: 86_400, unit: 's' },
} as const satisfies Record<string, FlagBound>;

/**
 * `--<name> <value>` as a whole number within `bound`, or `fallback` when the flag is absent.
 * Only plain digits are taken (`1e3`, `0x10`, ` 5` and `5.0` are refused).
 */
export function boundedInt(name: string, value: string | undefined, fallback: number, bound: FlagBound): number {
  if (value === undefined) return fallback;
  const number = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < bound.min) throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  if (number > bound.max) throw new UsageError(`--${name} must be at most ${bound.max.toLocaleString('en-US')} (${bound.unit}), got "${value}"`);
  return number;
}

/**
 * The `parseArgs` declarations of the delivery flags `ship` and `import` share (their bounds are
 * {@link FLAG_BOUNDS}), plus `--quiet` and `--help`.
 */
export const DELIVERY_FLAG_OPTIONS = {
  'max-attempts': { type: 'string' },
  timeout: { type: 'string' },
  'max-retry-after': { type: 'string' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;
