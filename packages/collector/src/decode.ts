/**
 * Forgiving percent-decoding: never throws, and reports what was wrong so the validator can
 * list it. Invalid escapes stay literal; invalid UTF-8 becomes U+FFFD.
 */

/** Result of {@link decodeComponent}. */
export interface DecodeResult {
  value: string;
  /** A `%` not followed by two hex digits. */
  badEscape: boolean;
  /** Escapes that do not form valid UTF-8. */
  badUtf8: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');

/** Decodes one percent-encoded component (a name or a value). `+` is kept literal, as Mapp does. */
export function decodeComponent(raw: string): DecodeResult {
  if (!raw.includes('%')) return { value: raw, badEscape: false, badUtf8: false };
  try {
    return { value: decodeURIComponent(raw), badEscape: false, badUtf8: false };
  } catch {
    // Slow path only for broken input: decode byte runs ourselves.
  }
  let badEscape = false;
  let badUtf8 = false;
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length === 0) return;
    const buf = Uint8Array.from(bytes);
    try {
      out += utf8.decode(buf);
    } catch {
      badUtf8 = true;
      out += utf8Lenient.decode(buf);
    }
    bytes = [];
  };
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '%' && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 1, i + 3))) {
      bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    flush();
    if (ch === '%') badEscape = true;
    out += ch;
  }
  flush();
  return { value: out, badEscape, badUtf8 };
}
