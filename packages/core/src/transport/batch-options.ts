import type { BatchOptions } from '../types.js';

/** Hard protocol caps (PROTOCOL.md §1): 10,000 lines, and our 20 MiB body cap. @internal */
export const MAX_BATCH_LINES = 10_000;
/** @internal */
export const MAX_BATCH_BYTES = 20 * 1024 * 1024;

/** Every batch option with its default applied. @internal */
export type ResolvedBatchOptions = Required<BatchOptions> & { timeout: number };

function positive(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`mapp-s2s: batch.${name} must be a positive number, received ${String(value)}.`);
  }
  return Math.min(Math.floor(value), max);
}

/**
 * Applies defaults and clamps to the protocol caps. Throws a `TypeError` naming the
 * option on nonsense, at construction time (never during a request).
 * @internal
 */
export function resolveBatchOptions(options: BatchOptions & { timeout?: number } = {}): ResolvedBatchOptions {
  return {
    maxBatchSize: positive('maxBatchSize', options.maxBatchSize, 50, MAX_BATCH_LINES),
    maxBatchBytes: positive('maxBatchBytes', options.maxBatchBytes, 1024 * 1024, MAX_BATCH_BYTES),
    flushInterval: positive('flushInterval', options.flushInterval, 2000),
    maxQueueSize: positive('maxQueueSize', options.maxQueueSize, 10_000),
    concurrency: positive('concurrency', options.concurrency, 2, 64),
    maxAttempts: positive('maxAttempts', options.maxAttempts, 30),
    maxRetryAge: positive('maxRetryAge', options.maxRetryAge, 3_600_000),
    backoffBase: positive('backoffBase', options.backoffBase, 250),
    backoffMax: positive('backoffMax', options.backoffMax, 30_000),
    timeout: positive('timeout', options.timeout, 10_000),
  };
}
