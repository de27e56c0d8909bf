import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

/** A held lock on a spool folder. */
export interface DirLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

/** Result of trying to take a lock. */
export type LockAttempt = { ok: true; lock: DirLock } | { ok: false; pid: number; host: string; path: string };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who wrote a lock file: process id, host name, and when (ms since the epoch; NaN if unreadable). */
interface LockOwner {
  pid: number;
  host: string;
  writtenAt: number;
  /** The writer's start in clock ticks since boot (Linux), if the lock records it. */
  startTicks: string | undefined;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const [pid, host, time, ticks] = readFileSync(path, 'utf8').split('\n');
    const value = Number(pid);
    return { pid: Number.isInteger(value) && value > 0 ? value : 0, host: host ?? '', writtenAt: Date.parse(time ?? ''), startTicks: ticks !== undefined && /^\d+$/.test(ticks) ? ticks : undefined };
  } catch {
    return undefined;
  }
}

/**
 * Whether a lock that names this very process id was written before this process started:
 * then an earlier process with the same id wrote it, and it is stale. That is the usual case in
 * a container, where the app is process 1 again after every restart. A lock this process wrote
 * itself (a second spool on the same folder) is younger than the process and stays held. The
 * time written in the lock (ms precision) decides; the file's own time if that is unreadable.
 */
function writtenBeforeThisProcess(path: string, owner: LockOwner): boolean {
  let writtenAt = owner.writtenAt;
  if (Number.isNaN(writtenAt)) {
    try {
      writtenAt = statSync(path).mtimeMs;
    } catch {
      return false;
    }
  }
  const started = Date.now() - process.uptime() * 1000;
  // A few ms of slack for rounding: Node starts well over that before any lock is written.
  return writtenAt < started - 5;
}

/**
 * When process `pid` started, in clock ticks since boot (Linux `/proc/<pid>/stat`, field 22), as
 * text; undefined where there is no `/proc`. A process id is handed out again once its process
 * is gone, but never with the same start: id and start name one process for the life of the
 * system, whatever the wall clock does.
 */
function startTicks(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which may itself hold spaces and parentheses.
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** This process's {@link startTicks}, read once. */
let ownStartTicks: string | null | undefined;

function ownStart(): string | undefined {
  ownStartTicks ??= startTicks('self') ?? null;
  return ownStartTicks ?? undefined;
}

/**
 * Whether the process now holding the lock's id is another than the one that wrote it: its start
 * differs from the one the lock recorded (Linux; a lock without one, or no `/proc`: unknown).
 */
function idReused(pid: number, owner: LockOwner): boolean {
  if (owner.startTicks === undefined) return false;
  const now = pid === process.pid ? ownStart() : startTicks(pid);
  return now !== undefined && now !== owner.startTicks;
}

/**
 * Takes `path` as an exclusive lock file holding `<pid>\n<host>\n<time>\n<start>` (`<start>`:
 * the process's start in clock ticks since boot, on Linux). A lock whose process is gone (same
 * host, `kill(pid, 0)` fails with ESRCH) is stale and taken over; so is one whose id now belongs
 * to another process (its start differs: after a crash and a container restart, ids are handed
 * out again from the start), and one naming this process's own id without a start but written
 * before this process started.
 * A lock from another host can't be checked and counts as held. The stale lock is
 * first renamed to a unique name, so of two processes racing for it only one removes it.
 * Synchronous on purpose: it runs once at start-up and must be decided before any write.
 */
export function acquireDirLock(path: string): LockAttempt {
  const me = hostname();
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n${me}\n${new Date().toISOString()}\n${ownStart() ?? ''}\n`);
      } finally {
        closeSync(fd);
      }
      let released = false;
      return {
        ok: true,
        lock: {
          path,
          release() {
            if (released) return;
            released = true;
            if (readOwner(path)?.pid === process.pid) {
              try {
                unlinkSync(path);
              } catch {
                // Already gone: nothing to release.
              }
            }
          },
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(path);
    if (!owner) continue; // removed between our open and read: try again
    const stale =
      owner.pid === 0 ||
      (owner.host === me && (idReused(owner.pid, owner) || (owner.pid === process.pid ? owner.startTicks === undefined && writtenBeforeThisProcess(path, owner) : !isAlive(owner.pid))));
    if (!stale) return { ok: false, pid: owner.pid, host: owner.host, path };
    const aside = `${path}.stale-${process.pid}-${Date.now()}`;
    try {
      renameSync(path, aside);
      // If a racing process replaced the stale lock with its own in between, put it back.
      if (readOwner(aside)?.pid !== owner.pid) renameSync(aside, path);
      else unlinkSync(aside);
    } catch {
      // Another process took the stale lock over first; loop and look again.
    }
  }
  const owner = readOwner(path);
  return { ok: false, pid: owner?.pid ?? 0, host: owner?.host ?? '', path };
}
