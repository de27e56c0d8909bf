/** Outcome of reading a stream with a size cap. */
export type CappedRead = { ok: true; bytes: Uint8Array<ArrayBuffer> } | { ok: false; reason: 'too-large' | 'unreadable' };

/**
 * Reads a body stream, giving up as soon as it exceeds `maxBytes`, so an oversized body
 * is never buffered whole.
 */
export async function readCappedBytes(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<CappedRead> {
  if (body === null) return { ok: true, bytes: new Uint8Array(0) };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, reason: 'too-large' };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}

/**
 * Reads a request body as UTF-8 text with a cap. A declared `Content-Length` over the cap
 * is refused before reading a byte.
 */
export async function readCappedText(
  request: Request,
  maxBytes: number,
): Promise<{ ok: true; text: string } | { ok: false; reason: 'too-large' | 'unreadable' }> {
  const declared = Number(request.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, reason: 'too-large' };
  const read = await readCappedBytes(request.body, maxBytes);
  return read.ok ? { ok: true, text: new TextDecoder().decode(read.bytes) } : read;
}

/**
 * Splits a beacon body into pixel queries: one per line, each `?query` or `wt?query`
 * (docs/protocol.md §1, §9); blank lines are ignored, a trailing CR is tolerated.
 * Lines in any other form come back as `undefined` so the caller can refuse them.
 */
export function splitBodyLines(text: string): Array<string | undefined> {
  return text
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line !== '')
    .map((line) => {
      if (line.startsWith('wt?')) return line.slice(3);
      if (line.startsWith('?')) return line.slice(1);
      return undefined;
    });
}
