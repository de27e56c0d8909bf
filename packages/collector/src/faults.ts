import type { FaultOptions } from './types.js';

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

  /** Decides the fate of one tracking request. */
  decide(): FaultDecision {
    const latencyMs = this.faults.latencyMs ?? 0;
    if (Date.now() < this.downUntil) return { kind: 'drop', latencyMs: 0 };
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
 * naming the bad field.
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
