/**
 * Value encoding for the wire line (docs/protocol.md §4): UTF-8 percent-encoding compatible
 * with `encodeURIComponent`, never `+`, and text cut by code points, never inside one.
 */

/** Longest text value Mapp stores (docs/protocol.md §4), in characters (code points). */
export const MAX_TEXT_LENGTH = 255;
/** Longest product id (`ba`). */
export const MAX_PRODUCT_ID_LENGTH = 110;
/** Longest wire line: 7 KB. */
export const MAX_LINE_BYTES = 7 * 1024;

/**
 * Longest Smart Pixel query the pass-through takes, in characters: the pixel cuts its request
 * URLs at 30,720 (`@webtrekk-smart-pixel/core` 1.10.0; docs/protocol.md §4) and Mapp takes such a
 * GET. The 7 KB `MAX_LINE_BYTES` binds only lines that go into batches or files.
 * @internal
 */
export const MAX_PIXEL_LINE_CHARS = 30_720;

/**
 * Room for what the server appends to a pixel query: its client information (`X-WT-IP`,
 * `-UA`, `-RQ`, hints) and visitor pairs (`eid`, `one`, `nc`). Mapp's own pass-through appends
 * the same pairs to a query of up to the pixel's limit. The pass-through keeps within it by
 * sending less of its own information when a request carries huge headers.
 * @internal
 */
export const MAX_SERVER_PAIRS_CHARS = 4 * 1024;

/**
 * Longest line `tracker.sendLine()` accepts and a transport may be handed: `wt?`, a pixel
 * query of up to {@link MAX_PIXEL_LINE_CHARS} and the server's pairs. Lines over
 * `MAX_LINE_BYTES` cannot go into a batch or file; they travel as one GET each.
 * @internal
 */
export const MAX_SEND_LINE_CHARS = 'wt?'.length + MAX_PIXEL_LINE_CHARS + MAX_SERVER_PAIRS_CHARS;

/**
 * `true` for a line too long for a batch or file (over {@link MAX_LINE_BYTES}): it travels
 * alone, as one GET. Lines are percent-encoded ASCII, so characters are bytes.
 * @internal
 */
export function travelsAlone(line: string): boolean {
  return line.length > MAX_LINE_BYTES;
}

/** Replaces lone UTF-16 surrogates (which `encodeURIComponent` throws on) with U+FFFD. */
export function toWellFormed(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    return fixSurrogates(text);
  }
  return text;
}

function fixSurrogates(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i] + (text[i + 1] as string);
        i++;
      } else out += '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\ufffd';
    else out += text[i];
  }
  return out;
}

/**
 * Percent-encodes one value as UTF-8, exactly like `encodeURIComponent` (so `,` `;` `&`
 * `=` `#` `%` and CR/LF are always escaped and no value can start another parameter),
 * but without throwing on lone surrogates.
 */
export function encodeValue(value: string): string {
  // Most values (ids, numbers, plain words) need no escaping: one table scan instead of
  // a surrogate scan plus encodeURIComponent's copy.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || UNRESERVED[c] === 0) return encodeURIComponent(wellFormed(value));
  }
  return value;
}

/**
 * What `encodeURIComponent` leaves as is: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`. 1 = unreserved.
 * Everything else, `,` `;` `&` `=` `#` `%` `+` and CR/LF included, is escaped.
 */
const UNRESERVED: Uint8Array = (() => {
  const table = new Uint8Array(128);
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()";
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
})();

type MaybeWellFormed = string & { isWellFormed?: () => boolean; toWellFormed?: () => string };

/** `toWellFormed`, with the runtime's own (Node 20+, modern browsers) when it has one. */
function wellFormed(text: string): string {
  const native = text as MaybeWellFormed;
  if (typeof native.isWellFormed === 'function' && typeof native.toWellFormed === 'function') {
    return native.isWellFormed() ? text : native.toWellFormed();
  }
  return toWellFormed(text);
}

/** Cuts `text` to at most `max` code points; a surrogate pair is never split. */
export function cutText(text: string, max: number = MAX_TEXT_LENGTH): string {
  if (text.length <= max) return text; // code points <= code units: nothing to cut
  let points = 0;
  let i = 0;
  while (i < text.length && points < max) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    points++;
  }
  return text.slice(0, i);
}

/** Number of code points in `text`. */
export function codePointLength(text: string): number {
  let points = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    points++;
  }
  return points;
}

/** Safe `decodeURIComponent`: returns the input when it is not valid percent-encoding. */
export function safeDecode(text: string): string {
  if (text.indexOf('%') === -1) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
