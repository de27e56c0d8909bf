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
 * @internal
 */
export async function readLines(handle: FileHandle, start: number, limit: number, chunkBytes: number, finalTail: boolean): Promise<LineChunk> {
  let size = Math.min(chunkBytes, limit - start);
  for (;;) {
    if (size <= 0) return { lines: [], ends: [], next: start };
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, start);
    const data = buffer.subarray(0, bytesRead);
    const atLimit = start + bytesRead >= limit || bytesRead < size;
    let usable = data.lastIndexOf(0x0a) + 1;
    if (usable === 0 && !atLimit) {
      // One line longer than the window: widen it (lines are ≤ 7 KB in practice).
      size = Math.min(size * 2, limit - start);
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
