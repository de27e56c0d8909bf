/**
 * `*` wildcard matching without regular expressions, shared by the include/exclude patterns
 * (`patterns.ts`) and the pixel blacklist (`pixel/dropped-requests.ts`).
 *
 * Why not `new RegExp(pattern.split('*').join('.*'))`: a backtracking engine tries every way
 * to split the text between the stars, so `/*\/*\/*\/admin` against a path of 3,000 slashes
 * took 9 s and blocked the event loop for every other request. The greedy two-pointer
 * algorithm below remembers only the last star and moves the text pointer forward from
 * there, so it does at most `(text.length + 1) × (pattern.length + 1)` steps and, for the
 * patterns people write (short literal parts), close to `text.length`.
 */

/** Counts the steps of a match, for tests that bound the work structurally instead of by time. */
export interface GlobMeter {
  steps: number;
}

/** A compiled wildcard: `(text, meter?) => boolean`. */
export type GlobMatcher = (text: string, meter?: GlobMeter) => boolean;

/** What the end of the text must do. */
export interface GlobOptions {
  /**
   * `true`: the pattern must cover the whole text (`a*b` matches `axb`, not `axbc`).
   * `false`: the pattern is a prefix, open at the end (`a*b` also matches `axbc`).
   */
  anchorEnd: boolean;
}

/**
 * Matches `text` against `pattern`, where `*` stands for any run of characters (none
 * included, line breaks included) and every other character is literal. Always anchored at
 * the start; anchored at the end when `anchorEnd` is set.
 *
 * Each loop turn is one step and advances a pointer or restarts after the last star one
 * character further on, so the worst case is `(text.length + 1) × (pattern.length + 1)`
 * steps, never exponential.
 */
export function matchGlob(pattern: string, text: string, options: GlobOptions, meter?: GlobMeter): boolean {
  return match(pattern, text, !options.anchorEnd, meter);
}

function match(pattern: string, text: string, open: boolean, meter: GlobMeter | undefined): boolean {
  let p = 0; // next pattern character
  let t = 0; // next text character
  let star = -1; // position of the last `*` seen in the pattern
  let resume = 0; // text position the last `*` currently stops before
  let steps = 0;
  try {
    for (;;) {
      steps++;
      // A prefix pattern that is used up matches whatever text is left.
      if (open && p === pattern.length) return true;
      if (t === text.length) break;
      const expected = pattern.charCodeAt(p);
      if (p < pattern.length && expected === 42 /* '*' */) {
        star = p++;
        resume = t;
      } else if (p < pattern.length && expected === text.charCodeAt(t)) {
        p++;
        t++;
      } else if (star !== -1) {
        // Let the last star swallow one more character and retry the rest of the pattern.
        p = star + 1;
        t = ++resume;
      } else {
        return false;
      }
    }
    // Text used up: only stars may remain in the pattern.
    while (p < pattern.length && pattern.charCodeAt(p) === 42) {
      steps++;
      p++;
    }
    return p === pattern.length;
  } finally {
    if (meter !== undefined) meter.steps += steps;
  }
}

/** Compiles one wildcard pattern into a matcher (see {@link matchGlob}). */
export function compileGlob(pattern: string, options: GlobOptions): GlobMatcher {
  // Runs of stars mean the same as one; collapsing them keeps the step bound tight.
  const collapsed = pattern.replace(/\*{2,}/g, '*');
  const open = !options.anchorEnd;
  return (text, meter) => match(collapsed, text, open, meter);
}
