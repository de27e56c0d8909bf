import type { FaultOptions } from './types.js';

/**
 * Largest `latencyMs` (10 minutes): it feeds `setTimeout`, which turns anything over 2^31-1 ms
 * into 1 ms, and no client waits longer for an answer anyway.
 */
export const MAX_LATENCY_MS = 600_000;

/** What to do with one tracking request. */
export type FaultDecision =
  | { kind: 'pass'; latencyMs: number }
  | { kind: 'drop'; latencyMs: number }
  | { kind: 'status'; status: number; retryAfter?: number; latencyMs: number };

/**
 * Holds the active faults. `downForMs` is turned into an absolute deadline when set, so
 * reading the faults back reports the time still remaining.
 */
export class FaultState {
  private faults: FaultOptions = {};
  private downUntil = 0;
  private random: () => number = Math.random;

  constructor(initial: FaultOptions = {}) {
    this.set(initial);
  }

  /** Replaces all faults (an empty object clears them). */
  set(faults: FaultOptions): void {
    const clean = validateFaults(faults);
    const { downForMs, seed, ...rest } = clean;
    this.faults = rest;
    this.downUntil = downForMs !== undefined && downForMs > 0 ? Date.now() + downForMs : 0;
    this.random = seed !== undefined ? seededRandom(seed) : Math.random;
  }

  /** The active faults, with `downForMs` as the time remaining. */
  get(): FaultOptions {
    const remaining = this.downUntil - Date.now();
    return { ...this.faults, ...(remaining > 0 ? { downForMs: remaining } : {}) };
  }

  /** `true` while `downForMs` lasts: every tracking connection is destroyed. */
  isDown(): boolean {
    return Date.now() < this.downUntil;
  }

  /** Decides the fate of one tracking request. */
  decide(): FaultDecision {
    const latencyMs = this.faults.latencyMs ?? 0;
    if (this.isDown()) return { kind: 'drop', latencyMs: 0 };
    if (this.faults.dropRate !== undefined && this.random() < this.faults.dropRate) return { kind: 'drop', latencyMs };
    const status = this.faults.status;
    const failed =
      (status !== undefined && status !== 200 && this.faults.errorRate === undefined) ||
      (this.faults.errorRate !== undefined && this.random() < this.faults.errorRate);
    if (failed) {
      const decision: FaultDecision = { kind: 'status', status: status ?? 500, latencyMs };
      if (this.faults.retryAfter !== undefined) decision.retryAfter = this.faults.retryAfter;
      return decision;
    }
    return { kind: 'pass', latencyMs };
  }
}

/**
 * Checks fault options (from code, flags or the control endpoint) and throws a message
 * naming the bad field: rates 0..1, `status` 200..599, `latencyMs` 0..{@link MAX_LATENCY_MS},
 * `retryAfter` a whole number of seconds, `downForMs` not negative (a deadline, not a timer:
 * no maximum).
 */
export function validateFaults(input: unknown): FaultOptions & { seed?: number } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new TypeError('faults must be a JSON object');
  const out: FaultOptions & { seed?: number } = {};
  const known = new Set(['status', 'errorRate', 'latencyMs', 'retryAfter', 'dropRate', 'downForMs', 'seed']);
  for (const [key, value] of Object.entries(input)) {
    if (!known.has(key)) throw new TypeError(`unknown fault "${key}" (known: ${[...known].join(', ')})`);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`fault ${key} must be a number, got ${JSON.stringify(value)}`);
    if ((key === 'errorRate' || key === 'dropRate') && (value < 0 || value > 1)) throw new TypeError(`fault ${key} must be between 0 and 1, got ${value}`);
    if (key === 'status' && (!Number.isInteger(value) || value < 200 || value > 599)) throw new TypeError(`fault status must be an HTTP status 200..599, got ${value}`);
    if ((key === 'latencyMs' || key === 'retryAfter' || key === 'downForMs') && value < 0) throw new TypeError(`fault ${key} must not be negative, got ${value}`);
    if (key === 'latencyMs' && value > MAX_LATENCY_MS) throw new TypeError(`fault latencyMs must be at most ${MAX_LATENCY_MS} (10 minutes), got ${value}`);
    if (key === 'retryAfter' && !Number.isSafeInteger(value)) throw new TypeError(`fault retryAfter must be a whole number of seconds (Retry-After: <seconds>), got ${value}`);
    (out as Record<string, number>)[key] = value;
  }
  return out;
}

/** mulberry32: a tiny deterministic generator so tests can replay a fault pattern. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
