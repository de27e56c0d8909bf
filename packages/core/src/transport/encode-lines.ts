const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Space a reused encoder keeps however small its batches get (a few page-view lines). */
const KEEP_BYTES = 64 * 1024;
/** Batches in a row far smaller than the kept array before it is let go. */
const SHRINK_AFTER = 32;

/**
 * Encodes batches of lines (a POST body, a spool file's group commit, a Redis entry) into
 * one byte array that it reuses, growing and shrinking with the batches.
 *
 * Why bytes, and why reused: a joined string of hundreds of KB must be flattened before it
 * can be written (a copy of every line), and each fresh array or string of that size is new
 * memory the process must map and fault in page by page. On the 2-core VMs of bench/ that
 * cost over 1 µs per line, several times the encoding itself (bench/BENCHMARKS.md, part 1b).
 * Encoding straight into the same array costs about 0.1 µs per line.
 *
 * The returned view stays valid until the next `encode` on the same encoder: an owner with
 * one batch outstanding at a time (a batch-engine lane, the spool writer, a Redis shard) uses
 * one encoder and encodes its next batch only once the previous one is settled.
 * @internal
 */
export class LinesEncoder {
  private scratch: Uint8Array<ArrayBuffer> = EMPTY;
  /** Batches in a row that needed under a quarter of `scratch`. */
  private oversized = 0;

  /**
   * `count` lines, `lineAt(0)` … `lineAt(count - 1)`, as UTF-8: separated by '\n', or each
   * followed by one when `terminated` (a spool file). Lines never contain CR or LF (the encoder
   * guarantees it), so '\n' separates them unambiguously.
   *
   * Wire lines as the encoder writes them are ASCII (percent-encoded, docs/protocol.md §4), one
   * byte per character: then the result has exactly as many bytes as the lines have characters
   * plus separators. A line that is not ASCII (a pass-through line with raw UTF-8) makes the
   * whole text be joined and encoded into a new array, so it comes out longer: callers that
   * need per-line byte counts can tell the two cases apart by the length.
   */
  encode(count: number, lineAt: (index: number) => string, terminated = false): Uint8Array<ArrayBuffer> {
    const size = textSize(count, lineAt, terminated);
    const bytes = this.room(size);
    return fill(bytes, count, lineAt, terminated) ? bytes.subarray(0, size) : utf8.encode(joinText(count, lineAt, terminated));
  }

  /**
   * The owner has nothing more to encode for now (its queue ran dry, nothing in flight): an
   * array bigger than `KEEP_BYTES`, grown for a burst or a backlog, is let go, so a quiet owner
   * holds at most `KEEP_BYTES`. Only call it when no view of the array is in use any more.
   */
  idle(): void {
    if (this.scratch.length <= KEEP_BYTES) return;
    this.scratch = EMPTY;
    this.oversized = 0;
  }

  /**
   * At least `size` bytes: the kept array, or a new one with headroom. A kept array far bigger
   * than the batches (after a backlog) is let go once that lasted `SHRINK_AFTER` batches in a
   * row, so a burst does not pin its memory, and mixed batch sizes do not reallocate each time.
   */
  private room(size: number): Uint8Array<ArrayBuffer> {
    const kept = this.scratch.length;
    if (kept >= size) {
      const farTooBig = kept > KEEP_BYTES && kept > size * 4;
      if (!farTooBig) {
        this.oversized = 0;
        return this.scratch;
      }
      if (++this.oversized < SHRINK_AFTER) return this.scratch;
    }
    this.oversized = 0;
    this.scratch = new Uint8Array(Math.max(KEEP_BYTES, size + (size >>> 2)));
    return this.scratch;
  }
}

/** {@link LinesEncoder.encode} into a new array of its own (for one-off bodies). @internal */
export function encodeLines(count: number, lineAt: (index: number) => string, terminated = false): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(textSize(count, lineAt, terminated));
  return fill(bytes, count, lineAt, terminated) ? bytes : utf8.encode(joinText(count, lineAt, terminated));
}

/** Characters of the lines plus their separators: their UTF-8 size when they are ASCII. */
function textSize(count: number, lineAt: (index: number) => string, terminated: boolean): number {
  let size = terminated ? count : Math.max(0, count - 1);
  for (let i = 0; i < count; i++) size += lineAt(i).length;
  return size;
}

/** Writes the lines into `bytes` (at least `textSize` long); `false` when one is not ASCII. */
function fill(bytes: Uint8Array, count: number, lineAt: (index: number) => string, terminated: boolean): boolean {
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0 && !terminated) bytes[offset++] = 10; // '\n'
    const line = lineAt(i);
    const done = utf8.encodeInto(line, offset === 0 ? bytes : bytes.subarray(offset));
    // Not all of it read (no room left) or more bytes than characters: not ASCII.
    if (done.read !== line.length || done.written !== line.length) return false;
    offset += line.length;
    if (terminated) bytes[offset++] = 10;
  }
  return true;
}

function joinText(count: number, lineAt: (index: number) => string, terminated: boolean): string {
  let text = '';
  for (let i = 0; i < count; i++) {
    if (i > 0 && !terminated) text += '\n';
    text += lineAt(i);
    if (terminated) text += '\n';
  }
  return text;
}
