import { pendingHits } from '../exit-report.js';
import type { Logger, Tracker } from '../types.js';

interface Registered {
  readonly tracker: Tracker;
  readonly timeout: number;
  readonly logger: Logger;
  /** `debug`: say so when the exit hook steps in (a failure is warned about anyway). */
  readonly debug: boolean;
  closing: boolean;
}

const registered = new Set<Registered>();
let listening = false;

/**
 * `beforeExit` fires when the event loop has nothing left to do: a script that tracked and
 * simply ended. Its hits would die with it, so every tracker that still holds some is
 * closed with its timeout, which keeps the process alive until they are delivered (or
 * spooled, or reported as dropped, with a warning, when the timeout passes). Trackers with nothing pending
 * stay open: another `beforeExit` listener may still track.
 */
function onBeforeExit(): void {
  for (const entry of registered) {
    if (entry.closing) continue;
    const count = pendingHits(entry.tracker);
    if (count === 0) continue;
    entry.closing = true;
    if (entry.debug) {
      try {
        entry.logger.debug(
          `mapp-s2s: the process is exiting with ${count} hit${count === 1 ? '' : 's'} not yet delivered; delivering before exit (up to ${entry.timeout} ms). Call tracker.close({ timeout }) yourself to control this.`,
        );
      } catch {
        // The logger's problem must not stop the delivery.
      }
    }
    void entry.tracker.close({ timeout: entry.timeout });
  }
}

function sync(): void {
  if (registered.size > 0 && !listening) {
    process.on('beforeExit', onBeforeExit);
    listening = true;
  } else if (registered.size === 0 && listening) {
    process.off('beforeExit', onBeforeExit);
    listening = false;
  }
}

/**
 * Delivers a tracker's pending hits when the process is about to exit on its own (the
 * event loop ran empty). No signal handlers: `SIGTERM`/`SIGINT` and `process.exit()` stay
 * the application's (call `tracker.close({ timeout })` there). Unregistered by `close()`.
 * One `beforeExit` listener serves every tracker, and it is removed when none is left.
 * @internal
 */
export function flushOnExit(tracker: Tracker, timeout: number, logger: Logger, debug = false): void {
  const entry: Registered = { tracker, timeout, logger, debug, closing: false };
  registered.add(entry);
  sync();
  const close = tracker.close.bind(tracker);
  tracker.close = async (options) => {
    registered.delete(entry);
    sync();
    await close(options);
  };
}
