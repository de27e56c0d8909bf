/**
 * The import run: log files in, page views out through a tracker, progress remembered.
 *
 * Each line is parsed (the format's parser), turned into a `RecordedRequest` and handed to
 * the core's `tracker.trackRecordedPageView()`, which decides whether it is a page view and
 * builds the hit exactly as the middleware would. Progress is committed per file at
 * checkpoints, only after every hit up to that point was accepted: after `flush()` for the
 * batch transport (delivered), after the write and sync for the spool. Reading waits for the
 * tracker whenever it has many hits in hand, so memory stays flat on any size of log.
 *
 * The run stops reading at once when a hit is not delivered (a dropped batch), when Mapp asks
 * to wait longer than `maxRetryAfter`, or when `signal` aborts (SIGINT/SIGTERM); no wait for a
 * retry timer holds it. Then the tracker is closed with `closeTimeout`: a batch waiting for a
 * retry is tried once more at once, and whatever is not delivered by then is dropped as
 * `closed` (in-flight requests aborted). So a stopped run ends within `closeTimeout`. After an
 * interrupt, the file being read is committed up to the last line read when every hit handed
 * over was delivered; otherwise nothing after the last checkpoint is committed, so progress
 * never passes an undelivered line.
 */
import { open, stat } from 'node:fs/promises';
import type { DropReason, SkipReason, Tracker, TrackerEvent, TrackResult } from '@mapp-s2s/core';
import type { LineParser } from './log-format.js';
import { toRecordedRequest, type MalformedReason, type RecordSkip, type SiteSettings } from './log-record.js';
import { READ_BYTES, gunzipStream, readHead, readLines, sniffGzip, type LineChunk } from './read-log.js';
import { findEntry, saveState, type FileEntry, type ImportState } from './state.js';

/** How many malformed lines are listed one by one (all are counted). */
export const MALFORMED_LISTED = 20;

/** The longest `Retry-After` an import waits for by default (ms); a longer one stops the run. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/** How long an interrupted import gives the hits in hand by default (ms): `--timeout`'s default. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/** The longest delay `setTimeout` keeps; the transport never waits longer (and says so). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Why a line was read but sent nothing (`empty`: a blank line). */
export type ImportSkipReason = SkipReason | RecordSkip | 'too-large' | 'invalid' | 'empty';

/** One malformed line, for the report. */
export interface MalformedLine {
  file: string;
  line: number;
  reason: MalformedReason;
  /** What the tracker said, for `record`. */
  detail?: string;
}

/** Hits that were not delivered for one reason, with the last detail given (e.g. `HTTP 400`). */
export interface NotDelivered {
  count: number;
  detail: string | undefined;
}

/** How far one file got. Line numbers count from 1; 0 is "before the first line". */
export interface FileProgress {
  /** The path as given, or `stdin`. */
  file: string;
  /** Lines known from earlier runs when this one began. */
  startLine: number;
  /** The last line read in this run. */
  readLine: number;
  /** The last line whose progress is committed in the state; `undefined` when nothing is remembered. */
  committedLine: number | undefined;
}

/** What a run did. */
export interface ImportReport {
  files: number;
  /** Files with nothing new since the last run. */
  unchangedFiles: number;
  linesRead: number;
  /** Page views made and handed to the tracker (whatever became of them: see below). */
  pageViews: number;
  /** Page views Mapp accepted (batch: counted from the transport's `sent` events). */
  delivered: number;
  /** Page views written to the spool (`--spool-dir`). */
  spooled: number;
  /** Page views printed (`--dry-run`). */
  printed: number;
  /** Page views not delivered (rejected by Mapp, retries exhausted, closed...), by reason. */
  notDelivered: Partial<Record<DropReason, NotDelivered>>;
  /** Page views the transport failed on (an error, e.g. the spool's disk), with the last error. */
  failed: number;
  failedMessage: string | undefined;
  skipped: Partial<Record<ImportSkipReason, number>>;
  malformed: number;
  malformedByReason: Partial<Record<MalformedReason, number>>;
  /** The first {@link MALFORMED_LISTED} malformed lines. */
  malformedLines: MalformedLine[];
  /** Last lines without `\n` left for the next run (one per file at most; only when remembering). */
  incompleteTails: number;
  /** Page views not accepted (not delivered, failed) and files that could not be read. */
  errors: number;
  errorMessages: string[];
  /** Set when the run stopped early: the reason. */
  stoppedBy: string | undefined;
  /** The run was stopped by `signal` (SIGINT/SIGTERM) before anything else stopped it. */
  interrupted: boolean;
  /** Progress is remembered in a state file (not `--no-state`, not a dry run). */
  remembers: boolean;
  /** Per file read in this run, in the order read. */
  progress: FileProgress[];
}

/** Where the run stands, for the progress bar. */
export interface ImportProgress {
  bytesDone: number;
  bytesTotal: number;
  linesRead: number;
  pageViews: number;
  fileIndex: number;
  fileCount: number;
}

export interface ImportSettings {
  /** Paths; `-` is stdin. Imported oldest first (by modification time). */
  files: readonly string[];
  parse: LineParser;
  site: SiteSettings;
  /** Owned by the run from now on: it is closed before `runImport` resolves. */
  tracker: Tracker;
  /** Progress: `undefined` imports everything and remembers nothing (stdin always). */
  state: { path: string; data: ImportState } | undefined;
  /** Dry run: each hit's line goes here, nothing is committed. */
  printLine?: (line: string) => void;
  stdin?: AsyncIterable<unknown>;
  /** Commit at least every this many page views. @default 20000 */
  checkpointEvery?: number;
  onProgress?: (progress: ImportProgress) => void;
  /** Stops reading when aborted; see the module comment for what is delivered and committed. */
  signal?: AbortSignal;
  /** The longest wait (ms) for a `Retry-After`; Mapp asking for more stops the run. @default 60000 */
  maxRetryAfter?: number;
  /** How long an interrupted run waits for the hits in hand (the tracker's close timeout). @default 10000 */
  closeTimeout?: number;
}

const HIGH_WATER = 20_000;

function newReport(files: number, remembers: boolean): ImportReport {
  return {
    files,
    unchangedFiles: 0,
    linesRead: 0,
    pageViews: 0,
    delivered: 0,
    spooled: 0,
    printed: 0,
    notDelivered: {},
    failed: 0,
    failedMessage: undefined,
    skipped: {},
    malformed: 0,
    malformedByReason: {},
    malformedLines: [],
    incompleteTails: 0,
    errors: 0,
    errorMessages: [],
    stoppedBy: undefined,
    interrupted: false,
    remembers,
    progress: [],
  };
}

/** Seconds for a message: `2147483 s or more` for the timer's cap, which hides a longer ask. */
function waitSeconds(ms: number): string {
  return ms >= MAX_TIMER_MS ? `${Math.floor(ms / 1000)} s or more` : `${Math.ceil(ms / 1000)} s`;
}

/** Why hits were not delivered, for the stop message. */
export function describeDrop(reason: DropReason, lines: number, detail: string | undefined): string {
  const hits = `${lines} hit${lines === 1 ? '' : 's'}`;
  const why = detail === undefined ? '' : ` (${detail})`;
  switch (reason) {
    case 'rejected':
      return `Mapp rejected ${hits}${why}`;
    case 'retries-exhausted':
      return `${hits} not delivered: Mapp unreachable or failing, retries exhausted${why}`;
    case 'closed':
      return `${hits} not delivered before the run ended`;
    case 'queue-full':
      return `${hits} dropped: the memory queue was full`;
    case 'spool-full':
      return `${hits} not written: the spool is full${why}`;
    default:
      return `${hits} not delivered (${reason})${why}`;
  }
}

/** Runs an import (see the module comment). Never throws for bad input; the report says what happened. */
export async function runImport(settings: ImportSettings): Promise<ImportReport> {
  const { tracker, parse, site, printLine } = settings;
  const checkpointEvery = settings.checkpointEvery ?? HIGH_WATER;
  const maxRetryAfter = settings.maxRetryAfter ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const closeTimeout = settings.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT_MS;
  const dryRun = printLine !== undefined;
  const remembers = settings.state !== undefined && !dryRun;
  const report = newReport(settings.files.length, remembers);

  // The first reason to stop wins; reading stops at once and waits end (see `unlessStopped`).
  const stopping = new AbortController();
  const stop = (reason: string): void => {
    if (report.stoppedBy !== undefined) return;
    report.stoppedBy = reason;
    stopping.abort();
  };
  const onSignal = (): void => {
    if (report.stoppedBy === undefined) report.interrupted = true;
    stop('interrupted');
  };
  if (settings.signal?.aborted === true) onSignal();
  else settings.signal?.addEventListener('abort', onSignal, { once: true });
  const stopped = new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  /** Waits for `promise`, or only until the run stops: a stop never waits for a retry timer. */
  const unlessStopped = (promise: Promise<void>): Promise<void> => (stopping.signal.aborted ? Promise.resolve() : Promise.race([promise, stopped]));

  // Hits not accepted since the last checkpoint.
  let undelivered = 0;
  // Mapp asked to wait longer than --max-retry-after: closing sends nothing more (its wait is respected).
  let waitAsked = false;
  const unsubscribe = tracker.on((event) => onEvent(event));
  function onEvent(event: TrackerEvent): void {
    if (event.type === 'sent') {
      report.delivered += event.lines;
    } else if (event.type === 'dropped' && (event.reason === 'too-large' || event.reason === 'invalid')) {
      // The line itself cannot become a hit (a URL too long for any line, say): resending would
      // fail the same way, so it is counted with the skipped lines and the run goes on.
      report.skipped[event.reason] = (report.skipped[event.reason] ?? 0) + event.lines;
    } else if (event.type === 'dropped') {
      undelivered += event.lines;
      const known = report.notDelivered[event.reason];
      report.notDelivered[event.reason] = { count: (known?.count ?? 0) + event.lines, detail: event.detail ?? known?.detail };
      stop(describeDrop(event.reason, event.lines, event.detail));
    } else if (event.type === 'retry' && event.delayMs > maxRetryAfter) {
      waitAsked = true;
      stop(`Mapp asked to wait ${waitSeconds(event.delayMs)} before the next attempt (${event.reason}), longer than --max-retry-after ${maxRetryAfter / 1000} s`);
    }
  }

  let outstanding = 0;
  let idle: (() => void) | undefined;
  const settle = (result: TrackResult, file: string, line: number): void => {
    if (result.ok) {
      report.pageViews++;
      if (result.status === 'spooled') report.spooled++;
      else if (result.status === 'dry-run') {
        report.printed++;
        if (dryRun) printLine(result.line);
      }
    } else if (result.status === 'skipped') {
      report.skipped[result.reason] = (report.skipped[result.reason] ?? 0) + 1;
    } else if (result.status === 'failed' && result.line === undefined) {
      // Refused before a hit was built: this record, not the delivery (the parsers check what
      // the tracker checks, so this is a safety net). It would fail the same way next time.
      malformed(file, line, 'record', result.error.message.replace(/^mapp-s2s: /, ''));
    } else if (result.status === 'failed') {
      report.pageViews++;
      report.failed++;
      report.failedMessage = result.error.message;
      undelivered++;
      stop(`${result.error.message.replace(/^mapp-s2s[^:]*: /, '')}`);
    } else if (result.reason !== 'too-large' && result.reason !== 'invalid') {
      // Refused by the transport (queue full, closed): counted by its `dropped` event.
      report.pageViews++;
    }
    if (--outstanding === 0 && idle !== undefined) {
      const done = idle;
      idle = undefined;
      done();
    }
  };
  const drained = (): Promise<void> => (outstanding === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve)));

  function malformed(file: string, line: number, reason: MalformedReason, detail?: string): void {
    report.malformed++;
    report.malformedByReason[reason] = (report.malformedByReason[reason] ?? 0) + 1;
    if (report.malformedLines.length < MALFORMED_LISTED) report.malformedLines.push(detail === undefined ? { file, line, reason } : { file, line, reason, detail });
  }

  const fileErrors: string[] = [];
  const fileError = (message: string): void => {
    fileErrors.push(message);
    report.errorMessages.push(message);
  };

  // Oldest first: rotated files (access.log.2.gz, access.log.1) before the live one.
  const sources: Array<{ path: string; mtime: number; size: number }> = [];
  for (const path of settings.files) {
    if (path === '-') {
      sources.push({ path, mtime: Number.POSITIVE_INFINITY, size: 0 });
      continue;
    }
    try {
      const info = await stat(path);
      if (!info.isFile()) {
        fileError(`${path} is not a regular file; skipped`);
        continue;
      }
      sources.push({ path, mtime: info.mtimeMs, size: info.size });
    } catch (error) {
      fileError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  sources.sort((a, b) => a.mtime - b.mtime);
  const bytesTotal = sources.reduce((sum, source) => sum + source.size, 0);
  let bytesBefore = 0;

  /** Awaits every hit handed over, then the transport; true when all of them were accepted. */
  const settleAll = async (): Promise<boolean> => {
    await unlessStopped(drained());
    if (!stopping.signal.aborted) await unlessStopped(tracker.flush());
    return !stopping.signal.aborted && undelivered === 0;
  };

  /** The file being read: what an interrupted run may still commit once its hits were delivered. */
  let current: { entry: FileEntry; offset: number; lines: number; progress: FileProgress } | undefined;

  const commit = (entry: FileEntry, offset: number, lines: number, progress: FileProgress): void => {
    if (settings.state === undefined || dryRun) return;
    entry.offset = offset;
    entry.lines = lines;
    entry.seen = Date.now();
    if (!settings.state.data.files.includes(entry)) settings.state.data.files.push(entry);
    saveState(settings.state.path, settings.state.data);
    progress.committedLine = lines;
  };

  try {
    for (let index = 0; index < sources.length && !stopping.signal.aborted; index++) {
      const source = sources[index] as { path: string; mtime: number; size: number };
      const progress = (chunk: LineChunk | undefined): void => {
        settings.onProgress?.({
          bytesDone: bytesBefore + (chunk?.diskBytes ?? 0),
          bytesTotal,
          linesRead: report.linesRead,
          pageViews: report.pageViews,
          fileIndex: index,
          fileCount: sources.length,
        });
      };
      let stream: AsyncIterable<unknown>;
      let entry: FileEntry | undefined;
      let handle: Awaited<ReturnType<typeof open>> | undefined;
      let lineNumber = 0;
      let offset = 0;
      // Where the stream starts: a plain file at the offset, a gzip file at 0 (it cannot seek).
      let streamStart = 0;
      // A last line without newline is read unless a later run will pick it up (a live log).
      let finalTail = true;
      let diskBytes: () => number = () => 0;
      let gzipFingerprint: string | undefined;
      if (source.path === '-') {
        try {
          stream = await sniffGzip(settings.stdin ?? process.stdin);
        } catch (error) {
          fileError(`cannot read stdin: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
          continue;
        }
      } else {
        try {
          handle = await open(source.path, 'r');
          const info = await handle.stat();
          const { head, gzip } = await readHead(handle, info.size);
          if (head.length > 0 && settings.state !== undefined) {
            const found = findEntry(settings.state.data, { dev: info.dev, ino: info.ino, head }, source.path);
            entry = found.entry;
            offset = entry.offset;
            lineNumber = entry.lines;
          }
          if (entry !== undefined && !gzip && offset > info.size) {
            // Same inode and first bytes, but shorter than what was imported: rewritten in place.
            entry.offset = 0;
            entry.lines = 0;
            offset = 0;
            lineNumber = 0;
          }
          const fingerprint = `${info.dev}:${info.ino}:${info.size}`;
          if (head.length === 0 || (!gzip && offset >= info.size) || (gzip && entry?.finished === fingerprint)) {
            report.unchangedFiles++;
            await handle.close();
            bytesBefore += source.size;
            continue;
          }
          if (gzip) gzipFingerprint = fingerprint;
          // A gzip file is finished; a live log's last line may be half written, and is left
          // for the next run, if there is one: a run that remembers nothing reads it.
          finalTail = gzip || !remembers;
          streamStart = gzip ? 0 : offset;
          const fileStream = handle.createReadStream({ start: streamStart, highWaterMark: READ_BYTES, autoClose: false });
          diskBytes = () => fileStream.bytesRead + streamStart;
          if (gzip) {
            const gunzip = gunzipStream();
            fileStream.on('error', (error) => gunzip.destroy(error));
            stream = fileStream.pipe(gunzip);
          } else {
            stream = fileStream;
          }
        } catch (error) {
          await handle?.close().catch(() => undefined);
          fileError(`cannot read ${source.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
          bytesBefore += source.size;
          continue;
        }
      }
      const label = source.path === '-' ? 'stdin' : source.path;
      const fileProgress: FileProgress = { file: label, startLine: lineNumber, readLine: lineNumber, committedLine: remembers && entry !== undefined ? lineNumber : undefined };
      report.progress.push(fileProgress);
      current = entry === undefined ? undefined : { entry, offset, lines: lineNumber, progress: fileProgress };
      let readToEnd = false;
      let sinceCheckpoint = 0;
      let lastCheckpoint = Date.now();
      const linesAtStart = report.linesRead;
      const onIncompleteTail = (): void => {
        report.incompleteTails++;
      };
      try {
        for await (const chunk of readLines(stream, { streamStart, offset, finalTail, diskBytes, onIncompleteTail })) {
          for (const line of chunk.lines) {
            lineNumber++;
            report.linesRead++;
            if (line === undefined) {
              malformed(label, lineNumber, 'too-long');
              continue;
            }
            if (line === '') {
              report.skipped.empty = (report.skipped.empty ?? 0) + 1;
              continue;
            }
            const record = parse(line);
            if (typeof record === 'string') {
              malformed(label, lineNumber, record);
              continue;
            }
            const request = toRecordedRequest(record, site);
            if (typeof request === 'string') {
              report.skipped[request] = (report.skipped[request] ?? 0) + 1;
              continue;
            }
            if ('malformed' in request) {
              malformed(label, lineNumber, request.malformed);
              continue;
            }
            outstanding++;
            sinceCheckpoint++;
            const at = lineNumber;
            (tracker.trackRecordedPageView as NonNullable<Tracker['trackRecordedPageView']>)(request).then((result) => settle(result, label, at));
          }
          // Every line of the chunk is in the tracker's hands.
          offset = chunk.offset;
          fileProgress.readLine = lineNumber;
          if (current !== undefined) {
            current.offset = offset;
            current.lines = lineNumber;
          }
          progress(chunk);
          // Backpressure: let the tracker catch up before reading on.
          if (outstanding > HIGH_WATER) await unlessStopped(drained());
          if (stopping.signal.aborted) break;
          if (sinceCheckpoint >= checkpointEvery || (entry !== undefined && Date.now() - lastCheckpoint > 5000 && sinceCheckpoint > 0)) {
            if (!(await settleAll())) break;
            if (entry !== undefined) commit(entry, offset, lineNumber, fileProgress);
            sinceCheckpoint = 0;
            lastCheckpoint = Date.now();
          } else if (!dryRun && tracker.stats().queueDepth > HIGH_WATER) {
            await unlessStopped(tracker.flush());
          }
          if (stopping.signal.aborted) break;
        }
        readToEnd = !stopping.signal.aborted;
      } catch (error) {
        fileError(`reading ${label} failed at line ${lineNumber + 1}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      } finally {
        await handle?.close().catch(() => undefined);
      }
      if (stopping.signal.aborted || !(await settleAll())) break;
      if (report.linesRead === linesAtStart) report.unchangedFiles++;
      const finished = readToEnd && gzipFingerprint !== undefined && entry !== undefined && entry.finished !== gzipFingerprint;
      if (finished) (entry as FileEntry).finished = gzipFingerprint;
      if (entry !== undefined && (entry.offset !== offset || finished || !settings.state?.data.files.includes(entry))) commit(entry, offset, lineNumber, fileProgress);
      current = undefined;
      bytesBefore += source.size;
      progress(undefined);
    }
  } finally {
    await finish();
  }
  return report;

  /**
   * Closes the tracker (the hits in hand get `closeTimeout` to be delivered, so every one of
   * them ends up delivered or counted as not delivered) and settles the books: interrupted,
   * the file being read is committed when all of them were delivered.
   */
  async function finish(): Promise<void> {
    try {
      await tracker.close({ timeout: waitAsked ? 0 : closeTimeout });
      await drained();
      if (report.interrupted && current !== undefined && undelivered === 0 && report.failed === 0) {
        commit(current.entry, current.offset, current.lines, current.progress);
      }
    } finally {
      unsubscribe();
      settings.signal?.removeEventListener('abort', onSignal);
      let notDelivered = 0;
      for (const entry of Object.values(report.notDelivered)) notDelivered += entry?.count ?? 0;
      report.errors = fileErrors.length + notDelivered + report.failed;
    }
  }
}
