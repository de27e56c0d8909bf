/**
 * Turns one browser pixel query into the line we send, following docs/protocol.md §9: the query
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
  /**
   * How many pairs were dropped: no `=`, a key that is not a plain name once fully decoded,
   * a raw `+` or a malformed escape in the value, invalid UTF-8 or a repeated name.
   */
  malformed: number;
}

const PRINTABLE = /^[\x21-\x7e]*$/;
const BAD_ESCAPE = /%(?![0-9a-f]{2})/i;
const VERSION = /^\d{1,4}(?:,|$)/;
const EID = /^\d{19}$/;

/** Rounds of percent-decoding before a key that still changes is given up on. */
const MAX_DECODE_ROUNDS = 8;
/** What a parameter name of the pixel, the SDKs and the libraries looks like (docs/protocol.md §3). */
const PLAIN_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * The key as any later hop could end up reading it: percent-decoded again and again until
 * it no longer changes (`X%2525252DWT-IP` → `X-WT-IP`), at most {@link MAX_DECODE_ROUNDS}
 * rounds. Returns it only when it is a plain name (`[A-Za-z0-9_-]+`); `undefined` for
 * anything else: a NUL, a zero-width space, `İ`, `+`, a space, a malformed escape at any
 * depth, or a key still changing after the last round. Such a pair cannot be one the pixel
 * wrote, and it might be read as one the server owns. Used only to decide; a kept pair
 * stays verbatim.
 */
export function decodeKey(rawKey: string): string | undefined {
  let current = rawKey;
  for (let round = 0; ; round++) {
    if (PLAIN_NAME.test(current)) return current;
    // Without `%` decoding changes nothing: the key is final, and not a plain name.
    if (!current.includes('%') || round === MAX_DECODE_ROUNDS) return undefined;
    try {
      current = decodeURIComponent(current);
    } catch {
      return undefined; // a malformed escape or invalid UTF-8 at this depth
    }
  }
}

/**
 * Client information only the server may set, because it appends its own (docs/protocol.md §5,
 * §9 step 2): `X-WT-IP`, `X-WT-UA`, `X-WT-RQ` and `X-WT-SEC-CH-UA*`, compared without case
 * and with `_` read as `-`. `key` is a decoded plain name (see {@link decodeKey}). Other
 * `X-WT-*` the pixel writes itself (`X-WT-EID` in an app web view) stay.
 */
export function isServerOwnedKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/_/g, '-');
  return (
    normalized === 'x-wt-ip' ||
    normalized === 'x-wt-ua' ||
    normalized === 'x-wt-rq' ||
    normalized.startsWith('x-wt-sec-ch-ua')
  );
}

/**
 * `true` when there is no raw `+`, every `%` starts a valid escape and the bytes decode as
 * UTF-8. Anything else is not what the pixel (which uses `encodeURIComponent`) sends, and the
 * tracker could only guess: a raw `+` is a space to some decoders and a plus to others, and
 * Mapp's request format never uses it (docs/protocol.md §4).
 */
export function isWellEncoded(text: string): boolean {
  if (text.includes('+')) return false;
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
  // A fragment never belongs to the hit (docs/protocol.md §9 step 1); in a beacon line it would
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
    // The pixel always writes `name=value` with a plain name and valid escapes; a bare
    // `name`, a key that decodes to anything but a plain name, a malformed escape, a raw `+`
    // or a repeated name is something the tracker could only guess at.
    const name = mark <= 0 ? undefined : decodeKey(rawKey);
    if (name === undefined || !isWellEncoded(value)) {
      malformed++;
      continue;
    }
    if (isServerOwnedKey(name)) {
      removed++;
      continue;
    }
    const key = name.toLowerCase();
    if (key !== 'eid' && key !== 'p') {
      // By decoded name: `cp1` and `cp%31` are the same parameter to the tracker.
      if (seen.has(name)) {
        malformed++;
        continue;
      }
      seen.add(name);
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
    const key = decodeKey(pair.split('=', 1)[0] ?? '')?.toLowerCase().replace(/_/g, '-');
    return key !== 'eid' && key !== 'x-wt-eid';
  });
  return { ...query, eid: undefined, pairs };
}
