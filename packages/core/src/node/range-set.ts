/**
 * A set of non-negative integers kept as sorted, disjoint, inclusive ranges: acknowledged
 * line indexes of a spool file. Memory and time depend on the number of ranges, never on
 * the numbers in them, so an `.ack` record such as `0-99999999999` costs one range, not a
 * hundred billion set entries.
 * @internal
 */
export class RangeSet {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  /** Number of ranges (for tests and diagnostics). */
  get ranges(): number {
    return this.starts.length;
  }

  /** Index of the last range starting at or before `value`, or -1. */
  private floor(value: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if ((this.starts[mid] as number) <= value) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  has(value: number): boolean {
    const at = this.floor(value);
    return at !== -1 && (this.ends[at] as number) >= value;
  }

  add(value: number): void {
    this.addRange(value, value);
  }

  /** Adds `from..to` (inclusive), merging with touching or overlapping ranges. */
  addRange(from: number, to: number): void {
    if (to < from) return;
    let at = this.floor(from);
    // Merge with the range before when it overlaps or touches.
    if (at !== -1 && (this.ends[at] as number) + 1 >= from) {
      from = this.starts[at] as number;
      to = Math.max(to, this.ends[at] as number);
    } else {
      at += 1;
    }
    // Swallow every following range that overlaps or touches.
    let last = at;
    while (last < this.starts.length && (this.starts[last] as number) <= to + 1) {
      to = Math.max(to, this.ends[last] as number);
      last += 1;
    }
    this.starts.splice(at, last - at, from);
    this.ends.splice(at, last - at, to);
  }

  /** How many of `0..limit-1` are in the set. */
  countBelow(limit: number): number {
    let count = 0;
    for (let i = 0; i < this.starts.length; i += 1) {
      const start = this.starts[i] as number;
      if (start >= limit) break;
      count += Math.min(this.ends[i] as number, limit - 1) - start + 1;
    }
    return count;
  }
}
