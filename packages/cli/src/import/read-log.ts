/**
 * Streams an access log as chunks of whole lines, with the byte offset after each chunk:
 * plain files from an offset, gzip files (recognised by their magic bytes, not the name)
 * decompressed on the fly with zlib and skipped up to the offset, stdin as it comes. Memory
 * stays at one chunk plus one partial line, whatever the file's size.
 */
import { isAscii } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { constants as zlibConstants, createGunzip, gunzipSync } from 'node:zlib';
import { HEAD_BYTES } from './state.js';

/** A line longer than this is skipped as malformed (`too-long`) without being held in memory. */
export const MAX_LINE_BYTES = 1024 * 1024;
/**
 * Bytes decoded at a time. Small enough that a chunk's text is a regular V8 heap string: with
 * 256 KiB chunks each one went to the large-object space and decoding took several times
 * longer (measured). Files are read in larger pieces ({@link READ_BYTES}): fewer system calls.
 */
const CHUNK_BYTES = 64 * 1024;
/** Bytes per read from a file. */
export const READ_BYTES = 1024 * 1024;

/** Complete lines read, and where reading stands. */
export interface LineChunk {
  /** The lines, without `\n` (and a `\r` before it); `undefined` for a line over {@link MAX_LINE_BYTES}. */
  lines: Array<string | undefined>;
  /** Decompressed byte offset just after the last line of this chunk. */
  offset: number;
  /** Bytes read from the disk (or pipe) so far, for progress. */
  diskBytes: number;
}

/** `true` when `head` starts with the gzip magic bytes. */
export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** The first (up to {@link HEAD_BYTES}) bytes of a file's text: decompressed when it is gzip. */
export async function readHead(handle: FileHandle, size: number): Promise<{ head: Buffer; gzip: boolean }> {
  const first = Buffer.alloc(Math.min(size, 64 * 1024));
  const { bytesRead } = await handle.read(first, 0, first.length, 0);
  const raw = first.subarray(0, bytesRead);
  if (!isGzip(raw)) return { head: raw.subarray(0, HEAD_BYTES), gzip: false };
  let compressed = raw;
  for (;;) {
    let text: Buffer;
    try {
      // Sync flush: the first bytes of a stream cut short, instead of an "unexpected end" error.
      text = gunzipSync(compressed, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      text = Buffer.alloc(0);
    }
    if (text.length >= HEAD_BYTES || compressed.length >= size || compressed.length >= 8 * 1024 * 1024) return { head: text.subarray(0, HEAD_BYTES), gzip: true };
    const more = Buffer.alloc(Math.min(size, compressed.length * 4));
    const { bytesRead: read } = await handle.read(more, 0, more.length, 0);
    compressed = more.subarray(0, read);
  }
}

/** Options of {@link readLines}. */
export interface ReadLinesOptions {
  /** Decompressed offset the stream starts at. */
  streamStart: number;
  /** Lines before this offset are skipped. */
  offset: number;
  /** Yield a last line without `\n` (a finished file, stdin, or a run that remembers nothing). */
  finalTail: boolean;
  /** Bytes read from the disk so far, for progress. */
  diskBytes: () => number;
  /** Told the size of a last line without `\n` that was left unread (`finalTail` unset). */
  onIncompleteTail?: (bytes: number) => void;
}

/**
 * Yields whole lines from `stream`, which starts at decompressed offset `streamStart`; lines
 * before `offset` are skipped (a gzip file cannot seek). A last line without `\n` is
 * yielded only when `finalTail` is set (a finished file, or a run without state: there is no
 * next run to pick it up); in a live log a writer may still be completing it, so it is left
 * for the next run and reported to `onIncompleteTail`.
 */
export async function* readLines(stream: AsyncIterable<unknown>, options: ReadLinesOptions): AsyncGenerator<LineChunk> {
  let position = options.streamStart;
  let carry: Buffer | undefined;
  let discarding = false;
  for await (const data of pieces(stream)) {
    let chunk = data;
    if (position < options.offset) {
      const skip = Math.min(chunk.length, options.offset - position);
      position += skip;
      if (skip === chunk.length) continue;
      chunk = chunk.subarray(skip);
    }
    const lines: Array<string | undefined> = [];
    let start = 0;
    if (discarding) {
      const newline = chunk.indexOf(0x0a);
      if (newline === -1) {
        position += chunk.length;
        continue;
      }
      discarding = false;
      start = newline + 1;
      position += start;
    }
    const last = chunk.lastIndexOf(0x0a);
    if (last < start) {
      // No line end in this chunk: it all belongs to the current line.
      const pending = carry === undefined ? chunk.subarray(start) : Buffer.concat([carry, chunk.subarray(start)]);
      if (pending.length > MAX_LINE_BYTES) {
        lines.push(undefined);
        position += pending.length;
        carry = undefined;
        discarding = true;
        yield { lines, offset: position, diskBytes: options.diskBytes() };
      } else {
        carry = pending;
      }
      continue;
    }
    if (carry !== undefined) {
      // Only the line the previous chunk left open is copied, not the whole chunk.
      const first = chunk.indexOf(0x0a, start);
      const joined = Buffer.concat([carry, chunk.subarray(start, first + 1)]);
      splitInto(lines, joined);
      position += joined.length;
      start = first + 1;
      carry = undefined;
    }
    if (start <= last) {
      splitInto(lines, chunk.subarray(start, last + 1));
      position += last + 1 - start;
    }
    if (last + 1 < chunk.length) carry = Buffer.from(chunk.subarray(last + 1));
    yield { lines, offset: position, diskBytes: options.diskBytes() };
  }
  if (carry === undefined || carry.length === 0) return;
  if (!options.finalTail) {
    options.onIncompleteTail?.(carry.length);
    return;
  }
  const lines: Array<string | undefined> = [];
  splitInto(lines, Buffer.concat([carry, Buffer.from('\n')]));
  position += carry.length;
  yield { lines, offset: position, diskBytes: options.diskBytes() };
}

/**
 * `source` decompressed when its first bytes are gzip's magic bytes (as for files: by
 * content, not name), else as it is: `zcat`-less `mapp-s2s import - < access.log.gz` works.
 * Reads ahead only the first chunk (or two, when the first holds a single byte).
 */
export async function sniffGzip(source: AsyncIterable<unknown>): Promise<AsyncIterable<unknown>> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes < 2) {
    const next = await iterator.next();
    if (next.done === true) {
      done = true;
      break;
    }
    const buffer = typeof next.value === 'string' ? Buffer.from(next.value) : (next.value as Buffer);
    head.push(buffer);
    headBytes += buffer.length;
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : (next.value as Buffer);
    }
  }
  if (!isGzip(Buffer.concat(head))) return replay();
  const gunzip = gunzipStream();
  const input = Readable.from(replay(), { objectMode: false });
  input.on('error', (error) => gunzip.destroy(error));
  return input.pipe(gunzip);
}

/** The stream's data in pieces of at most {@link CHUNK_BYTES} (reads may be larger; see there). */
async function* pieces(stream: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  for await (const data of stream) {
    const buffer = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
    if (buffer.length <= CHUNK_BYTES) {
      yield buffer;
      continue;
    }
    for (let start = 0; start < buffer.length; start += CHUNK_BYTES) yield buffer.subarray(start, start + CHUNK_BYTES);
  }
}

/**
 * Splits `body` (ending in `\n`) into its lines; over-long lines become `undefined`.
 *
 * Each line is decoded on its own rather than sliced out of one decoded chunk: a slice keeps
 * its whole chunk alive, and the core caches a few values per distinct client (parsed IPs,
 * encoded User-Agents, bot answers), so every cached slice held on to 64 KiB of log text
 * (measured: 29 % of the CPU in the garbage collector, and RSS growing with the log's size).
 * An ASCII chunk (nginx escapes every other byte) decodes as latin1, the cheapest way.
 */
function splitInto(lines: Array<string | undefined>, body: Buffer): void {
  const encoding = isAscii(body) ? 'latin1' : 'utf8';
  let from = 0;
  for (;;) {
    const newline = body.indexOf(0x0a, from);
    if (newline === -1) break;
    let end = newline;
    if (end > from && body[end - 1] === 13) end--;
    lines.push(end - from > MAX_LINE_BYTES ? undefined : body.toString(encoding, from, end));
    from = newline + 1;
  }
}

/** The gzip decompressor for a file, with multi-member support (`cat a.gz b.gz`). */
export function gunzipStream(): ReturnType<typeof createGunzip> {
  return createGunzip({ chunkSize: CHUNK_BYTES });
}

export { CHUNK_BYTES };
