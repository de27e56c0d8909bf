import type { OutgoingHit, SendOutcome, SpoolOptions, Transport, TransportContext, TransportFactory } from '../types.js';
import { createStatsRecorder } from '../transport/stats.js';
import { resolveSpoolOptions } from './spool-options.js';
import { SPOOL_FULL, SpoolWriter } from './spool-writer.js';

const FULL_DETAIL = 'spool.maxTotalBytes reached; ship the spool (mapp-s2s ship) or raise the cap';
const SPOOLED: SendOutcome = Object.freeze({ ok: true, status: 'spooled' }) as SendOutcome;
const spooled = (): SendOutcome => SPOOLED;
const FULL: SendOutcome = Object.freeze({ ok: false, status: 'dropped', reason: 'spool-full', detail: FULL_DETAIL }) as SendOutcome;

/**
 * The `spool` transport, "log now, ship later": `send()` appends the hit's line to
 * `<dir>/<prefix>-<ms>.tmp` and resolves `spooled` once the line was written; files
 * rotate to `.log` at `maxFileLines`, `maxFileSize` or `maxFileAge` (and on `close()`),
 * and `mapp-s2s ship` (or the official cronjob) sends the `.log` files.
 *
 * Durability (the data-loss window) by `fsync`:
 * - `'always'`: each write is `fdatasync`ed before `send()` resolves. Nothing resolved is
 *   lost, even on power loss. Slowest (one sync per group commit).
 * - `'interval'` (default): a resolved line survives a process crash (it is in the kernel
 *   page cache); an OS crash or power cut loses at most the last `fsyncInterval` ms.
 * - `'never'`: survives a process crash; an OS crash loses whatever the OS had not yet
 *   written back (Linux: typically up to ~30 s).
 *
 * A full disk or an unwritable folder never throws: `send()` resolves `failed` and an
 * `error` event is emitted. At `maxTotalBytes` (default 1 GiB) hits are dropped
 * (`spool-full`: counted, emitted, warned) instead of filling the disk. The folder is
 * created `0700` and files `0600`. Node-only (`@mapp-s2s/core/node`).
 */
export function createSpoolTransport(options: SpoolOptions): TransportFactory {
  const resolved = resolveSpoolOptions(options);
  return function spoolTransport(context: TransportContext): Transport {
    const stats = createStatsRecorder();
    const writer = new SpoolWriter<undefined>(resolved, {
      onWritten(segment, lines) {
        stats.spooled += lines;
        context.emit({ type: 'spooled', lines, file: segment.path });
      },
      onError(error) {
        context.emit({ type: 'error', error });
      },
    });
    let closed = false;
    const failed = (cause: unknown): SendOutcome => {
      if (cause === SPOOL_FULL) {
        stats.drop('spool-full');
        context.emit({ type: 'dropped', lines: 1, reason: 'spool-full', detail: FULL_DETAIL });
        return FULL;
      }
      const error = new Error(`mapp-s2s spool: could not write to ${resolved.dir} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, { cause });
      context.emit({ type: 'error', error });
      return { ok: false, status: 'failed', error };
    };
    return {
      name: 'spool',
      send(hit: OutgoingHit): Promise<SendOutcome> {
        if (closed) {
          stats.drop('closed');
          return Promise.resolve({ ok: false, status: 'dropped', reason: 'closed', detail: 'transport is closed' });
        }
        stats.enqueued += 1;
        // A chain with shared handlers rather than an async function: one promise per hit.
        return writer.append(hit.line, undefined).then(spooled, failed);
      },
      async flush() {
        // For a spool, "flush" means durable: written and synced (not rotated, so frequent
        // flushes in serverless code don't litter the folder with tiny files).
        await writer.sync();
      },
      async close() {
        if (closed) return;
        closed = true;
        await writer.close();
      },
      stats() {
        return { ...stats.snapshot({ queueDepth: 0, inFlight: 0 }), spoolBytes: writer.budget.bytes };
      },
    };
  };
}
