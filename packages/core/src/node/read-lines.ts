import type { FileHandle } from 'node:fs/promises';

/** A chunk of complete lines read from a spool file. @internal */
export interface LineChunk {
  /** Lines without their terminator (a CR before LF, from old Windows writers, is removed). */
  readonly lines: string[];
  /** Byte offset just past each line's terminator, parallel to `lines`. */
  readonly ends: number[];
  /** Byte offset just after the last returned line; equal to `start` when nothing was read. */
  readonly next: number;
}

/**
 * Reads whole lines from `start` up to `limit` bytes (exclusive), about `chunkBytes` at a
 * time. A trailing piece without '\n' is returned as a line only when `finalTail` is set
 * (a finished file whose writer omitted the last newline); otherwise it is left unread,
 * because a live writer may still be completing it.
 *
 * A line longer than `maxLineBytes` is never held whole (a file of zeros without a newline
 * must not take the memory of its size): it is returned cut to `maxLineBytes + 1` bytes, so
 * the reader's own length check refuses it, and its `end` is where it really ends.
 * @internal
 */
export async function readLines(handle: FileHandle, start: number, limit: number, chunkBytes: number, finalTail: boolean, maxLineBytes = Number.POSITIVE_INFINITY): Promise<LineChunk> {
  let size = Math.min(chunkBytes, limit - start);
  for (;;) {
    if (size <= 0) return { lines: [], ends: [], next: start };
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, start);
    const data = buffer.subarray(0, bytesRead);
    const atLimit = start + bytesRead >= limit || bytesRead < size;
    let usable = data.lastIndexOf(0x0a) + 1;
    if (usable === 0 && bytesRead > maxLineBytes) return overlongLine(handle, start, limit, data, chunkBytes, finalTail, maxLineBytes);
    if (usable === 0 && !atLimit) {
      // One line longer than the window: widen it (lines are ≤ 7 KB in practice).
      size = Math.min(size * 2, limit - start, Math.max(chunkBytes, maxLineBytes + 1));
      continue;
    }
    if (atLimit && finalTail) usable = data.length;
    if (usable === 0) return { lines: [], ends: [], next: start };
    const lines: string[] = [];
    const ends: number[] = [];
    let from = 0;
    while (from < usable) {
      const newline = data.indexOf(0x0a, from);
      const stop = newline === -1 || newline >= usable ? usable : newline;
      let line = data.subarray(from, stop).toString('utf8');
      if (line.endsWith('\r')) line = line.slice(0, -1);
      lines.push(line);
      from = stop === usable ? usable : stop + 1;
      ends.push(start + from);
    }
    return { lines, ends, next: start + usable };
  }
}

/**
 * The line at `start`, known to be longer than `maxLineBytes` (`head` holds its first bytes):
 * cut to `maxLineBytes + 1` bytes, ending where its newline is. Scans for that newline a chunk
 * at a time, holding one chunk. Without one before `limit`, it ends there if `finalTail` is set,
 * else it is left unread (a live writer may still be completing it).
 */
async function overlongLine(handle: FileHandle, start: number, limit: number, head: Buffer, chunkBytes: number, finalTail: boolean, maxLineBytes: number): Promise<LineChunk> {
  const line = head.subarray(0, maxLineBytes + 1).toString('utf8');
  const buffer = Buffer.alloc(Math.max(1, Math.min(chunkBytes, 1024 * 1024)));
  let position = start + head.length;
  while (position < limit) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, limit - position), position);
    if (bytesRead === 0) break;
    const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
    if (newline !== -1) {
      const end = position + newline + 1;
      return { lines: [line], ends: [end], next: end };
    }
    position += bytesRead;
  }
  if (!finalTail) return { lines: [], ends: [], next: start };
  return { lines: [line], ends: [position], next: position };
}
