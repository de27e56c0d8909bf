import { InvalidOptionError } from '../errors.js';
import type { BatchOptions } from '../types.js';

/** Hard protocol caps (docs/protocol.md §1): 10,000 lines, and our 20 MiB body cap. @internal */
export const MAX_BATCH_LINES = 10_000;
/** @internal */
export const MAX_BATCH_BYTES = 20 * 1024 * 1024;

/**
 * Lines that make a batch leave at once. 500, not the official libraries' 50: per hit, a POST
 * of 500 lines costs the sender (and the receiver) a fraction of ten POSTs of 50 (measured:
 * server CPU per page view and the receiving end's CPU per hit, bench/analysis.md), while a
 * quiet site still sends every `flushInterval`. @internal
 */
export const DEFAULT_MAX_BATCH_SIZE = 500;
/** Default byte cap of one POST: backlog batches grow up to it (docs/protocol.md §1 allows 20 MiB). @internal */
export const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Default count cap of the memory queue: a 50,000-hit burst fits with room to spare. @internal */
export const DEFAULT_MAX_QUEUE_SIZE = 100_000;
/** Default byte cap of the memory queue (lines as sent, ~600 bytes each for a page view). @internal */
export const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;

/** Every batch option with its default applied. @internal */
export type ResolvedBatchOptions = Required<BatchOptions> & { timeout: number };

function positive(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(`batch.${name}`, `mapp-s2s: invalid option \`batch.${name}\`: received ${String(value)}. Use a positive number.`);
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
    maxBatchSize: positive('maxBatchSize', options.maxBatchSize, DEFAULT_MAX_BATCH_SIZE, MAX_BATCH_LINES),
    maxBacklogBatchSize: positive('maxBacklogBatchSize', options.maxBacklogBatchSize, MAX_BATCH_LINES, MAX_BATCH_LINES),
    maxBatchBytes: positive('maxBatchBytes', options.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES, MAX_BATCH_BYTES),
    flushInterval: positive('flushInterval', options.flushInterval, 2000),
    maxQueueSize: positive('maxQueueSize', options.maxQueueSize, DEFAULT_MAX_QUEUE_SIZE),
    maxQueueBytes: positive('maxQueueBytes', options.maxQueueBytes, DEFAULT_MAX_QUEUE_BYTES),
    concurrency: positive('concurrency', options.concurrency, 2, 64),
    maxAttempts: positive('maxAttempts', options.maxAttempts, 30),
    maxRetryAge: positive('maxRetryAge', options.maxRetryAge, 3_600_000),
    backoffBase: positive('backoffBase', options.backoffBase, 250),
    backoffMax: positive('backoffMax', options.backoffMax, 30_000),
    timeout: positive('timeout', options.timeout, 10_000),
  };
}
