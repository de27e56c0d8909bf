import type { Logger } from './types.js';

/** One warning line per kind and reason per window; the rest are counted into the next line. */
const DEFAULT_WINDOW_MS = 10_000;

interface Window {
  /** Hits (or retries) seen since the last line, not yet reported. */
  pending: number;
  /** The latest detail, shown with the summary line. */
  detail: string | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Rate-limited warnings for hits that were lost or could not be delivered yet. The first
 * occurrence of a reason is logged at once; later ones within the window are only counted
 * and summed up in one line when the window ends (or at `flush()`, on close). Counting is
 * an integer add: no string, `Error` or closure per dropped hit, so it stays cheap when an
 * outage drops thousands of hits a second.
 * @internal
 */
export interface DropWarnings {
  /** `count` hits were dropped for `reason`. */
  dropped(reason: string, count: number, detail: string | undefined): void;
  /** A batch of `count` hits failed and waits for a retry. */
  retrying(count: number, detail: string): void;
  /** Writes the pending summaries now and stops the timers (tracker close). */
  flush(): void;
}

/** @internal */
export function createDropWarnings(logger: Logger, windowMs = DEFAULT_WINDOW_MS): DropWarnings {
  const windows = new Map<string, Window>();

  function line(key: string, count: number, detail: string | undefined, summary: boolean): string {
    const hits = `${count} hit${count === 1 ? '' : 's'}`;
    const tail = detail === undefined || detail === '' ? '' : `: ${detail}`;
    if (key === 'retry') {
      return summary
        ? `mapp-s2s: ${count} more batch retr${count === 1 ? 'y' : 'ies'} in the last ${windowMs / 1000} s; Mapp is still not accepting hits${tail}`
        : `mapp-s2s: could not deliver ${hits} to Mapp yet, retrying with backoff${tail}`;
    }
    return summary ? `mapp-s2s: ${hits} more dropped (${key}) in the last ${windowMs / 1000} s${tail}` : `mapp-s2s: ${hits} dropped (${key})${tail}`;
  }

  function report(key: string, window: Window): void {
    window.timer = undefined;
    if (window.pending === 0) {
      windows.delete(key);
      return;
    }
    const count = window.pending;
    window.pending = 0;
    warn(line(key, count, window.detail, true));
    arm(key, window);
  }

  function arm(key: string, window: Window): void {
    const timer = setTimeout(() => report(key, window), windowMs);
    (timer as { unref?: () => void }).unref?.();
    window.timer = timer;
  }

  function warn(message: string): void {
    try {
      logger.warn(message);
    } catch {
      // A broken logger must never reach the request path.
    }
  }

  function note(key: string, count: number, detail: string | undefined): void {
    const open = windows.get(key);
    if (open !== undefined) {
      open.pending += count;
      open.detail = detail;
      return;
    }
    const window: Window = { pending: 0, detail, timer: undefined };
    windows.set(key, window);
    warn(line(key, count, detail, false));
    arm(key, window);
  }

  return {
    dropped(reason, count, detail) {
      note(reason, count, detail);
    },
    retrying(count, detail) {
      note('retry', count, detail);
    },
    flush() {
      for (const [key, window] of windows) {
        if (window.timer !== undefined) clearTimeout(window.timer);
        window.timer = undefined;
        if (window.pending > 0) warn(line(key, window.pending, window.detail, true));
      }
      windows.clear();
    },
  };
}
