import { trackerInternals } from './tracker-internals.js';
import type { Tracker } from './types.js';

interface ProcessLike {
  on?: (event: 'exit', listener: () => void) => unknown;
  off?: (event: 'exit', listener: () => void) => unknown;
}

/** What to tell the user, per watched tracker. */
const watched = new Map<Tracker, string>();
let listening = false;

function runtimeProcess(): ProcessLike | undefined {
  const candidate = (globalThis as { process?: ProcessLike }).process;
  return typeof candidate?.on === 'function' && typeof candidate.off === 'function' ? candidate : undefined;
}

/** Hits a tracker still holds in memory (queued or in flight). @internal */
export function pendingHits(tracker: Tracker): number {
  try {
    const stats = tracker.stats();
    return stats.queueDepth + stats.inFlight;
  } catch {
    return 0;
  }
}

/**
 * `exit` fires when the process ends for good: `process.exit()` (Next.js calls it on
 * SIGTERM), or after `beforeExit` with nothing left to do. Nothing asynchronous can run any
 * more, so what a tracker still holds is lost: it is reported as dropped `closed`
 * (counter, event and the warning line, all synchronous) instead of vanishing silently.
 */
function onExit(): void {
  for (const [tracker, hint] of watched) {
    const count = pendingHits(tracker);
    try {
      trackerInternals(tracker)?.atExit(count, `the process exited before ${count === 1 ? 'it was' : 'they were'} delivered; ${hint}`);
    } catch {
      // Nothing may stop the other trackers' reports.
    }
  }
}

function sync(): void {
  const proc = runtimeProcess();
  if (proc === undefined) return;
  if (watched.size > 0 && !listening) {
    proc.on?.('exit', onExit);
    listening = true;
  } else if (watched.size === 0 && listening) {
    proc.off?.('exit', onExit);
    listening = false;
  }
}

/**
 * Reports the hits `tracker` still holds when the process exits (see `onExit`); `hint`
 * says how to avoid it. Does nothing where there is no `process` (edge runtimes, browsers).
 * Unregistered by `close()`.
 * @internal
 */
export function reportLossAtExit(tracker: Tracker, hint: string): void {
  if (runtimeProcess() === undefined || watched.has(tracker)) return;
  watched.set(tracker, hint);
  sync();
  const close = tracker.close.bind(tracker);
  tracker.close = async (options) => {
    try {
      await close(options);
    } finally {
      watched.delete(tracker);
      sync();
    }
  };
}
