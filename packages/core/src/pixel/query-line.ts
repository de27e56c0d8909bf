/**
 * Turns one browser pixel query into the line we send, following PROTOCOL.md §9: the query
 * stays verbatim (never decoded and re-encoded), only the keys the server owns are removed.
 */

/** What the server needs to know about one pixel query, next to its kept pairs. */
export interface PixelQuery {
  /** The `k=v` pairs kept, in browser order, byte for byte as received. */
  pairs: string[];
  /** The pixel's own valid eid, if it sent one. */
  eid?: string | undefined;
  /** The pixel already runs in anonymous mode (`nc=1`). */
  anonymous: boolean;
  /** Page name (decoded `p` field 2), for the `droppedRequests` blacklist. */
  pageName: string;
  /** `true` unless the hit is an event, form or media hit (`ct`, `fn`, `mi`). */
  isPage: boolean;
  /** Carries an order value (`ov=` non-empty). */
  hasOrder: boolean;
  /** The product status `st`, if any. */
  productStatus?: string | undefined;
  /** How many browser-sent `X-WT-*` client-information pairs were removed. */
  removed: number;
  /** How many pairs were dropped: no `=`, a malformed escape, invalid UTF-8 or a repeated name. */
  malformed: number;
}

const PRINTABLE = /^[\x21-\x7e]*$/;
const BAD_ESCAPE = /%(?![0-9a-f]{2})/i;
const VERSION = /^\d{1,4}(?:,|$)/;
const EID = /^\d{19}$/;

/**
 * Decodes a key the way any later hop might (percent-decoding up to three times, `+` as
 * space, trimmed, case-folded, `_` as `-`), so `X%2DWT%2DIP`, `x-wt-ip`, `X%252DWT-IP` and
 * `X_WT_IP ` all compare equal to `x-wt-ip`. Used only to decide; the pair is kept verbatim.
 */
export function normalizeKey(key: string): string {
  let current = key.replace(/\+/g, ' ');
  for (let round = 0; round < 3 && current.includes('%'); round++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      break; // a malformed escape: compare what we have
    }
    if (next === current) break;
    current = next.replace(/\+/g, ' ');
  }
  return current.trim().toLowerCase().replace(/_/g, '-');
}

/** Client information only the server may set (PROTOCOL.md §5, §9 step 2). */
export function isServerOwnedKey(normalized: string): boolean {
  return (
    normalized === 'x-wt-ip' ||
    normalized === 'x-wt-ua' ||
    normalized === 'x-wt-rq' ||
    normalized.startsWith('x-wt-sec-ch-ua')
  );
}

/**
 * `true` when every `%` starts a valid escape and the bytes decode as UTF-8. Anything else is
 * not what the pixel (which uses `encodeURIComponent`) sends, and the tracker could only guess.
 */
export function isWellEncoded(text: string): boolean {
  if (!text.includes('%')) return true;
  if (BAD_ESCAPE.test(text)) return false;
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false; // invalid UTF-8 or an encoded lone surrogate
  }
}

function decodeField(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/**
 * Parses one pixel query (`p=600,…&…`, no leading `?`). Returns `undefined` when it is not a
 * pixel hit at all: non-printable characters (a raw space, CR or LF could split the line)
 * or no `p` parameter starting with a version number.
 */
export function parsePixelQuery(rawQuery: string): PixelQuery | undefined {
  // A fragment never belongs to the hit (PROTOCOL.md §9 step 1); in a beacon line it would
  // otherwise cut off the pairs we append once the line is sent as a URL.
  const query = rawQuery.split('#', 1)[0] ?? '';
  if (query === '' || !PRINTABLE.test(query)) return undefined;
  const pairs: string[] = [];
  let eid: string | undefined;
  let anonymous = false;
  let pageName: string | undefined;
  let isPage = true;
  let hasOrder = false;
  let productStatus: string | undefined;
  let removed = 0;
  let malformed = 0;
  const seen = new Set<string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const mark = pair.indexOf('=');
    const rawKey = mark === -1 ? pair : pair.slice(0, mark);
    const value = mark === -1 ? '' : pair.slice(mark + 1);
    // The pixel always writes `name=value` with a valid escape; a bare `name`, a malformed
    // escape or a repeated name is something the tracker could only guess at.
    if (mark <= 0 || !isWellEncoded(rawKey) || !isWellEncoded(value)) {
      malformed++;
      continue;
    }
    const key = normalizeKey(rawKey);
    if (isServerOwnedKey(key)) {
      removed++;
      continue;
    }
    if (key !== 'eid' && key !== 'p') {
      if (seen.has(rawKey)) {
        malformed++;
        continue;
      }
      seen.add(rawKey);
    }
    if (key === 'eid') {
      // Keep the first valid eid only: a second or malformed one would make the visitor ambiguous.
      if (eid === undefined && rawKey === 'eid' && EID.test(value)) {
        eid = value;
        pairs.push(pair);
      }
      continue;
    }
    if (key === 'p') {
      if (pageName !== undefined || rawKey !== 'p' || !VERSION.test(value)) continue;
      pageName = decodeField(value.split(',')[1] ?? '');
    } else if (key === 'nc') {
      anonymous = anonymous || value === '1';
    } else if (key === 'ct' || key === 'fn' || key === 'mi') {
      isPage = false;
    } else if (key === 'ov') {
      hasOrder = hasOrder || value !== '';
    } else if (key === 'st' && productStatus === undefined) {
      productStatus = decodeField(value);
    }
    pairs.push(pair);
  }
  if (pageName === undefined) return undefined;
  return { pairs, eid, anonymous, pageName, isPage, hasOrder, productStatus, removed, malformed };
}

/**
 * Builds the wire line `wt?…` from the kept pairs plus the server's own, already encoded
 * pairs. Ours go before a trailing `eor=1`, the pixel's end-of-request marker, so the
 * marker still ends the line as the tracker expects.
 */
export function buildPixelLine(pairs: readonly string[], extra: readonly string[]): string {
  const all = [...pairs];
  const last = all[all.length - 1];
  const end = last !== undefined && last.split('=', 1)[0] === 'eor' ? all.pop() : undefined;
  all.push(...extra);
  if (end !== undefined) all.push(end);
  return `wt?${all.join('&')}`;
}

/** Removes every visitor id the pixel sent (`eid`, `X-WT-EID`), for anonymous mode. */
export function withoutIdentity(query: PixelQuery): PixelQuery {
  const pairs = query.pairs.filter((pair) => {
    const key = normalizeKey(pair.split('=', 1)[0] ?? '');
    return key !== 'eid' && key !== 'x-wt-eid';
  });
  return { ...query, eid: undefined, pairs };
}
