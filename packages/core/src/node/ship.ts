import { MAX_SEND_LINE_CHARS, travelsAlone } from '../encode.js';
import { encodeLines } from '../transport/encode-lines.js';
import { lineQuery, requestMapp, utf8Length, type MappRequestInit } from '../transport/http.js';
import { MAX_BATCH_BYTES, MAX_BATCH_LINES } from '../transport/batch-options.js';
import { backoffDelay, MAX_TIMER_MS } from '../transport/retry.js';

/** One line a ship source holds, with the position it acknowledges by. */
export interface ShipLine {
  /** Position inside its unit (a line index for files, an entry id for a stream). */
  readonly position: number | string;
  /** The wire line, `wt?…`. */
  readonly line: string;
}

/**
 * One unit of work, shipped in order and removed only when every line was handled.
 * For files: one `.log` file. For a durable outbox (Redis Streams, Kafka): a claimed
 * range of entries.
 */
export interface ShipUnit {
  readonly id: string;
  /** Approximate size in bytes, for progress. */
  readonly size: number;
  /** The lines still to send (acknowledged ones skipped), in order. */
  lines(): AsyncIterable<ShipLine>;
  /** Records that these lines were handled (accepted or rejected for good). */
  ack(lines: readonly ShipLine[]): Promise<void>;
  /** Called when every line was acknowledged: delete the unit. */
  complete(): Promise<void>;
}

/**
 * Where `ship` reads from. `open()` takes exclusive access (so two runs never send the
 * same unit) and lists the finished units, oldest first; `close()` gives it back. Files
 * today (`createFileShipSource`); a Redis Streams consumer group (`XREADGROUP`/`XACK`) or
 * a Kafka consumer (offset commits) fits the same shape.
 */
export interface ShipSource {
  readonly description: string;
  open(): Promise<ShipUnit[]>;
  close(): Promise<void>;
}

/** Progress after each batch. */
export interface ShipProgress {
  readonly unit: string;
  readonly unitsDone: number;
  readonly unitsTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly sent: number;
}

/** Options of {@link shipSpool}. */
export interface ShipOptions {
  readonly source: ShipSource;
  /** e.g. `https://track.example.com` (no trailing slash). */
  readonly origin: string;
  readonly trackId: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Lines per POST (the official cronjob sends 1000). @default 1000, max 10000 */
  readonly batchSize?: number;
  /** Bytes per POST. @default 20 MiB (the cap) */
  readonly maxBatchBytes?: number;
  /** Per-request timeout in ms. @default 10000 */
  readonly timeout?: number;
  /** Attempts per batch, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** First backoff delay in ms (doubles, full jitter; `Retry-After` wins). @default 250 */
  readonly backoffBase?: number;
  /** @default 30000 */
  readonly backoffMax?: number;
  /**
   * The longest `Retry-After` (ms) a run waits for. When Mapp asks to wait longer, the run
   * stops cleanly instead of holding the folder's lock for hours: nothing is deleted, the
   * batch's progress so far is kept, and the next run continues from there (`stoppedBy` says
   * how long Mapp asked for). At most 2^31-1 (a longer timer fires at once in Node).
   * @default 60000
   */
  readonly maxRetryAfter?: number;
  readonly onProgress?: (progress: ShipProgress) => void;
  /** Each retry, rejection or stop, as a human-readable line. */
  readonly onLog?: (message: string) => void;
}

/** What a `ship` run did. `complete` is true when nothing is left in the source. */
export interface ShipReport {
  readonly units: number;
  readonly unitsDone: number;
  /** Lines accepted (2xx). */
  readonly sent: number;
  /** Lines Mapp rejected for good (non-retryable 4xx; a 404 or a 3xx stops the run instead): removed, not resent. */
  readonly rejected: number;
  /** Malformed lines (not a `wt?…` hit line, see {@link shipLineProblem}): never sent, removed. */
  readonly invalid: number;
  /** Units skipped because they could not be read safely (not a regular file, I/O error): kept. */
  readonly skippedUnits: number;
  readonly retries: number;
  /** Why the run stopped early, if it did (retries exhausted, unknown track id, a `Retry-After` over `maxRetryAfter`). */
  readonly stoppedBy?: string;
  readonly complete: boolean;
}

/**
 * Longest line `ship` sends: what the tracker accepts from the pixel pass-through (the Smart
 * Pixel's 30,720-character query plus the server's own pairs, docs/protocol.md §4).
 */
export const MAX_SHIP_LINE_BYTES = MAX_SEND_LINE_CHARS;

/** Printable ASCII only: what the tracker and the pixel pass-through write (percent-encoded). */
const HIT_LINE = /^(?:wt)?\?[\x21-\x7e]+$/;

/**
 * Why a spooled line cannot be a hit line, or undefined when it may be sent. Garbage (a
 * foreign or corrupted file, binary junk, a raw space or control character) would be
 * forwarded to Mapp verbatim and could get the whole batch around it rejected, so `ship`
 * skips and reports such lines instead.
 */
export function shipLineProblem(line: string): string | undefined {
  // A valid line is ASCII, so its length is its size in bytes.
  if (line.length > MAX_SHIP_LINE_BYTES) return `longer than ${MAX_SHIP_LINE_BYTES} bytes`;
  if (HIT_LINE.test(line)) return undefined;
  if (!line.startsWith('wt?') && !line.startsWith('?')) return `not a hit line (must start with "wt?"): ${JSON.stringify(line.slice(0, 40))}`;
  return `raw space, control or non-ASCII characters: ${JSON.stringify(line.slice(0, 40))}`;
}

/** At most this many skipped lines are logged one by one per run; the rest are counted. */
const MAX_LOGGED_INVALID = 10;

/** Default of {@link ShipOptions.maxRetryAfter}: one minute. */
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/** `maxRetryAfter` checked and capped at the longest timer. */
function resolveMaxRetryAfter(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_RETRY_AFTER_MS;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`mapp-s2s: invalid option \`maxRetryAfter\`: received ${String(value)}. Use a number of ms from 0 to ${MAX_TIMER_MS}.`);
  }
  return Math.min(value, MAX_TIMER_MS);
}

/** Seconds for a message, rounded up: a wait of 0.2 s is "1 s", never "0 s". */
function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/**
 * Sends every unit of `source` in order, in batches, with the batch transport's retry
 * policy (network errors, timeouts, 5xx, 408, 429 retried with backoff + full jitter and
 * `Retry-After`). A unit is deleted only after all its lines were acknowledged; progress
 * is acknowledged after every accepted batch, so a crashed run resends at most one batch.
 * A 404 (unknown track id) stops the run and keeps everything, since every later batch
 * would fail the same way; other 4xx/3xx drop just that batch. A `Retry-After` longer than
 * `maxRetryAfter` stops the run too (kept, resumable), and no timer is ever set beyond 2^31-1 ms. Malformed lines
 * ({@link shipLineProblem}) are never sent: they are logged, counted and removed with their
 * unit, so they cannot block a file or spoil a batch. Never throws for HTTP
 * problems; `source.open()` errors (lock held, missing folder) are thrown.
 */
export async function shipSpool(options: ShipOptions): Promise<ShipReport> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const batchSize = Math.min(options.batchSize ?? 1000, MAX_BATCH_LINES);
  const maxBytes = Math.min(options.maxBatchBytes ?? MAX_BATCH_BYTES, MAX_BATCH_BYTES);
  const timeout = options.timeout ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoffBase = options.backoffBase ?? 250;
  const backoffMax = options.backoffMax ?? 30_000;
  const maxRetryAfter = resolveMaxRetryAfter(options.maxRetryAfter);
  const url = `${options.origin}/${options.trackId}/batch`;
  const hitUrl = `${options.origin}/${options.trackId}/wt?`;
  const log = options.onLog ?? (() => undefined);

  const units = await options.source.open();
  const bytesTotal = units.reduce((sum, unit) => sum + unit.size, 0);
  let bytesDone = 0;
  let unitsDone = 0;
  let sent = 0;
  let rejected = 0;
  let invalid = 0;
  let retries = 0;
  let skippedUnits = 0;
  let stoppedBy: string | undefined;

  /**
   * Sends one batch with retries: 'ok' | 'rejected' | a stop reason. A line over the 7 KB
   * batch-line limit (a Smart Pixel hit passed through) goes alone, as the GET the pixel
   * itself would have sent (docs/protocol.md §4).
   */
  async function deliver(batch: ShipLine[]): Promise<'ok' | 'rejected' | { stop: string }> {
    const single = batch.length === 1 && travelsAlone((batch[0] as ShipLine).line);
    const target = single ? `${hitUrl}${lineQuery((batch[0] as ShipLine).line)}` : url;
    const init: MappRequestInit = single ? { method: 'GET' } : { method: 'POST', body: encodeLines(batch.length, (i) => (batch[i] as ShipLine).line) };
    for (let attempt = 1; ; attempt += 1) {
      const result = await requestMapp(fetchFn, target, init, timeout);
      if (result.kind === 'ok') return 'ok';
      if (result.kind === 'reject') {
        if (result.status === 404) return { stop: `${result.reason}: Mapp does not know track id ${options.trackId}; nothing was deleted` };
        // A redirect answers every batch alike (a track domain given as http:// that moved to
        // https://, a wrong host): dropping batch after batch would empty the spool for nothing.
        if (result.status === 0 || (result.status >= 300 && result.status <= 399)) {
          return { stop: `${result.reason}: the track domain answers with a redirect, which is never followed; check --track-domain (https://, the host Mapp gave you); nothing was deleted` };
        }
        log(`batch of ${batch.length} lines rejected (${result.reason}); dropped`);
        return 'rejected';
      }
      if (attempt >= maxAttempts) return { stop: `gave up after ${attempt} attempts (${result.reason})` };
      if (result.retryAfterMs !== undefined && result.retryAfterMs > maxRetryAfter) {
        return {
          stop: `Mapp asked to wait ${seconds(result.retryAfterMs)} s before retrying (${result.reason}, Retry-After), longer than the ${seconds(maxRetryAfter)} s allowed by \`maxRetryAfter\`; nothing was deleted and the progress so far is kept: the next run continues from here`,
        };
      }
      const delay = Math.min(MAX_TIMER_MS, result.retryAfterMs ?? backoffDelay(attempt, backoffBase, backoffMax));
      retries += 1;
      log(`retry ${attempt}/${maxAttempts - 1} in ${delay} ms (${result.reason})`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  try {
    for (const unit of units) {
      try {
        if ((await shipUnit(unit)) === 'stop') break;
      } catch (error) {
        // One unreadable unit (not a regular file, an I/O error) must not stop every run:
        // it is kept, reported, and the others go on.
        skippedUnits += 1;
        log(`${unit.id}: ${(error as Error).message}; kept, not shipped`);
      }
    }
  } finally {
    await options.source.close();
  }

  /** Ships one unit; 'stop' when the run must stop (retries exhausted, unknown track id). */
  async function shipUnit(unit: ShipUnit): Promise<'done' | 'stop'> {
    {
      let batch: ShipLine[] = [];
      let batchBytes = 0;
      let unitBytes = 0;
      const flushBatch = async (): Promise<boolean> => {
        if (batch.length === 0) return true;
        const outcome = await deliver(batch);
        if (typeof outcome === 'object') {
          stoppedBy = outcome.stop;
          return false;
        }
        await unit.ack(batch);
        if (outcome === 'ok') sent += batch.length;
        else rejected += batch.length;
        bytesDone += batchBytes;
        unitBytes += batchBytes;
        batch = [];
        batchBytes = 0;
        options.onProgress?.({ unit: unit.id, unitsDone, unitsTotal: units.length, bytesDone, bytesTotal, sent });
        return true;
      };
      let ok = true;
      let skipped: ShipLine[] = [];
      const ackSkipped = async (): Promise<void> => {
        if (skipped.length === 0) return;
        await unit.ack(skipped);
        skipped = [];
      };
      for await (const item of unit.lines()) {
        const problem = shipLineProblem(item.line);
        if (problem !== undefined) {
          invalid += 1;
          const where = typeof item.position === 'number' ? `line ${item.position + 1}` : `entry ${item.position}`;
          if (invalid <= MAX_LOGGED_INVALID) log(`${unit.id} ${where}: ${problem}; skipped`);
          skipped.push(item);
          if (skipped.length >= batchSize) await ackSkipped();
          continue;
        }
        const size = utf8Length(item.line) + 1;
        const overLong = travelsAlone(item.line);
        if (batch.length >= batchSize || (batch.length > 0 && (batchBytes + size > maxBytes || overLong))) {
          ok = await flushBatch();
          if (!ok) break;
        }
        batch.push(item);
        batchBytes += size;
        // Sent on its own, in its place in the file's order.
        if (overLong) {
          ok = await flushBatch();
          if (!ok) break;
        }
      }
      if (ok) ok = await flushBatch();
      // Skipped lines are settled even when the run stops: they would be skipped again.
      await ackSkipped();
      if (!ok) return 'stop';
      await unit.complete();
      unitsDone += 1;
      // Acknowledged-before lines never pass through a batch: account for them here.
      bytesDone += Math.max(0, unit.size - unitBytes);
      options.onProgress?.({ unit: unit.id, unitsDone, unitsTotal: units.length, bytesDone, bytesTotal, sent });
      return 'done';
    }
  }
  if (invalid > MAX_LOGGED_INVALID) log(`${invalid} malformed lines skipped in all (${invalid - MAX_LOGGED_INVALID} not listed)`);
  return {
    units: units.length,
    unitsDone,
    sent,
    rejected,
    invalid,
    skippedUnits,
    retries,
    ...(stoppedBy === undefined ? {} : { stoppedBy }),
    complete: stoppedBy === undefined && unitsDone === units.length,
  };
}
