/**
 * Reads a request body as UTF-8 text, refusing it as soon as it exceeds `maxBytes`, so an
 * oversized beacon never gets buffered whole. A declared `Content-Length` over the cap is
 * refused before reading a byte.
 */
export async function readCappedText(
  request: Request,
  maxBytes: number,
): Promise<{ ok: true; text: string } | { ok: false; reason: 'too-large' | 'unreadable' }> {
  const declared = Number(request.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, reason: 'too-large' };
  if (request.body === null) return { ok: true, text: '' };
  const reader = request.body.getReader();
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
  return { ok: true, text: new TextDecoder('utf-8', { fatal: false }).decode(bytes) };
}

/**
 * Splits a beacon body into pixel queries: one per line, each `?query` or `wt?query`
 * (PROTOCOL.md §1, §9); blank lines are ignored, a trailing CR is tolerated.
 * Lines in any other form are returned as `undefined` so the caller can count them.
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
