/**
 * The import run: log files in, page views out through a tracker, progress remembered.
 *
 * Each line is parsed (the format's parser), turned into a `RecordedRequest` and handed to
 * the core's `tracker.trackRecordedPageView()`, which decides whether it is a page view and
 * builds the hit exactly as the middleware would. Progress is committed per file at
 * checkpoints, only after every hit up to that point was accepted: after `flush()` for the
 * batch transport (delivered; a dropped batch stops the run before its range is committed),
 * after the write and sync for the spool. Reading waits for the tracker whenever it has
 * many hits in hand, so memory stays flat on any size of log.
 */
import { open, stat } from 'node:fs/promises';
import type { SkipReason, Tracker, TrackResult } from '@mapp-s2s/core';
import type { LineParser } from './log-format.js';
import { toRecordedRequest, type MalformedReason, type RecordSkip, type SiteSettings } from './log-record.js';
import { READ_BYTES, gunzipStream, readHead, readLines, type LineChunk } from './read-log.js';
import { findEntry, saveState, type FileEntry, type ImportState } from './state.js';

/** How many malformed lines are listed one by one (all are counted). */
export const MALFORMED_LISTED = 20;

/** Why a line was read but sent nothing. */
export type ImportSkipReason = SkipReason | RecordSkip | 'too-large' | 'invalid';

/** One malformed line, for the report. */
export interface MalformedLine {
  file: string;
  line: number;
  reason: MalformedReason;
}

/** What a run did. */
export interface ImportReport {
  files: number;
  /** Files with nothing new since the last run. */
  unchangedFiles: number;
  linesRead: number;
  /** Page views accepted: delivered (batch), written (spool) or printed (dry run). */
  pageViews: number;
  skipped: Partial<Record<ImportSkipReason, number>>;
  malformed: number;
  malformedByReason: Partial<Record<MalformedReason, number>>;
  /** The first {@link MALFORMED_LISTED} malformed lines. */
  malformedLines: MalformedLine[];
  /** Hits not accepted (dropped, failed) and files that could not be read. */
  errors: number;
  errorMessages: string[];
  /** Set when the run stopped early: the reason (progress of the range in hand is not committed). */
  stoppedBy: string | undefined;
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
  tracker: Tracker;
  /** Progress: `undefined` imports everything and remembers nothing (stdin always). */
  state: { path: string; data: ImportState } | undefined;
  /** Dry run: each hit's line goes here, nothing is committed. */
  printLine?: (line: string) => void;
  stdin?: AsyncIterable<unknown>;
  /** Commit at least every this many page views. @default 20000 */
  checkpointEvery?: number;
  onProgress?: (progress: ImportProgress) => void;
  /** Stops reading when aborted; the lines read so far are still settled and committed. */
  signal?: AbortSignal;
}

const HIGH_WATER = 20_000;

function newReport(files: number): ImportReport {
  return { files, unchangedFiles: 0, linesRead: 0, pageViews: 0, skipped: {}, malformed: 0, malformedByReason: {}, malformedLines: [], errors: 0, errorMessages: [], stoppedBy: undefined };
}

/** Runs an import (see the module comment). Never throws for bad input; the report says what happened. */
export async function runImport(settings: ImportSettings): Promise<ImportReport> {
  const { tracker, parse, site, printLine } = settings;
  const checkpointEvery = settings.checkpointEvery ?? HIGH_WATER;
  const report = newReport(settings.files.length);
  const dryRun = printLine !== undefined;

  // Hits not accepted since the last checkpoint: dropped batches arrive as events.
  let undelivered = 0;
  const lastDrop: string[] = [];
  const unsubscribe = tracker.on((event) => {
    if (event.type === 'dropped' && (event.reason === 'too-large' || event.reason === 'invalid')) {
      // The line itself cannot become a hit (a URL too long for any line, say): resending would
      // fail the same way, so it is counted with the skipped lines and the run goes on.
      report.skipped[event.reason] = (report.skipped[event.reason] ?? 0) + event.lines;
    } else if (event.type === 'dropped') {
      undelivered += event.lines;
      report.errors += event.lines;
      lastDrop[0] = `${event.lines} hits dropped (${event.reason}${event.detail ? `: ${event.detail}` : ''})`;
    } else if (event.type === 'error') {
      lastDrop[0] = event.error.message;
    }
  });

  let outstanding = 0;
  let idle: (() => void) | undefined;
  const settle = (result: TrackResult): void => {
    if (result.ok) {
      report.pageViews++;
      if (dryRun && result.line !== undefined) printLine(result.line);
    } else if (result.status === 'skipped') {
      report.skipped[result.reason] = (report.skipped[result.reason] ?? 0) + 1;
    } else if (result.status === 'failed') {
      undelivered++;
      report.errors++;
      lastDrop[0] = result.error.message;
    }
    // `dropped` results were counted by their event.
    if (--outstanding === 0 && idle !== undefined) {
      const done = idle;
      idle = undefined;
      done();
    }
  };
  const drained = (): Promise<void> => (outstanding === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve)));

  const malformed = (file: string, line: number, reason: MalformedReason): void => {
    report.malformed++;
    report.malformedByReason[reason] = (report.malformedByReason[reason] ?? 0) + 1;
    if (report.malformedLines.length < MALFORMED_LISTED) report.malformedLines.push({ file, line, reason });
  };

  const fileError = (message: string): void => {
    report.errors++;
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
    await drained();
    await tracker.flush();
    if (undelivered === 0) return true;
    report.stoppedBy = lastDrop[0] ?? `${undelivered} hits were not accepted`;
    return false;
  };

  const commit = (entry: FileEntry, offset: number, lines: number): void => {
    if (settings.state === undefined || dryRun) return;
    entry.offset = offset;
    entry.lines = lines;
    entry.seen = Date.now();
    if (!settings.state.data.files.includes(entry)) settings.state.data.files.push(entry);
    saveState(settings.state.path, settings.state.data);
  };

  try {
    for (let index = 0; index < sources.length && report.stoppedBy === undefined; index++) {
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
      let finalTail = true;
      let diskBytes: () => number = () => 0;
      let gzipFingerprint: string | undefined;
      if (source.path === '-') {
        stream = settings.stdin ?? process.stdin;
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
          // A live log's last line may be half written; a gzip file is finished.
          finalTail = gzip;
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
      let readToEnd = false;
      let sinceCheckpoint = 0;
      let lastCheckpoint = Date.now();
      const linesAtStart = report.linesRead;
      try {
        for await (const chunk of readLines(stream, { streamStart, offset, finalTail, diskBytes })) {
          for (const line of chunk.lines) {
            lineNumber++;
            report.linesRead++;
            if (line === undefined) {
              malformed(label, lineNumber, 'too-long');
              continue;
            }
            if (line === '') continue;
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
            outstanding++;
            sinceCheckpoint++;
            (tracker.trackRecordedPageView as NonNullable<Tracker['trackRecordedPageView']>)(request).then(settle);
          }
          progress(chunk);
          // Backpressure: let the tracker catch up before reading on.
          if (outstanding > HIGH_WATER) await drained();
          if (sinceCheckpoint >= checkpointEvery || (entry !== undefined && Date.now() - lastCheckpoint > 5000 && sinceCheckpoint > 0)) {
            if (!(await settleAll())) break;
            if (entry !== undefined) commit(entry, chunk.offset, lineNumber);
            sinceCheckpoint = 0;
            lastCheckpoint = Date.now();
          } else if (!dryRun && tracker.stats().queueDepth > HIGH_WATER) {
            await tracker.flush();
          }
          offset = chunk.offset;
          // Interrupted (SIGINT/SIGTERM): what was read is settled and committed below.
          if (settings.signal?.aborted === true) break;
        }
        readToEnd = report.stoppedBy === undefined && settings.signal?.aborted !== true;
      } catch (error) {
        fileError(`reading ${label} failed at line ${lineNumber + 1}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      } finally {
        await handle?.close().catch(() => undefined);
      }
      if (report.stoppedBy !== undefined) break;
      if (!(await settleAll())) break;
      if (settings.signal?.aborted === true) report.stoppedBy = 'interrupted';
      if (report.linesRead === linesAtStart) report.unchangedFiles++;
      const finished = readToEnd && gzipFingerprint !== undefined && entry !== undefined && entry.finished !== gzipFingerprint;
      if (finished) (entry as FileEntry).finished = gzipFingerprint;
      if (entry !== undefined && (entry.offset !== offset || finished || !settings.state?.data.files.includes(entry))) commit(entry, offset, lineNumber);
      bytesBefore += source.size;
      progress(undefined);
    }
  } finally {
    unsubscribe();
  }
  return report;
}
