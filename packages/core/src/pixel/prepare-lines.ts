import { clientHintParams } from '../client-hints.js';
import { cutText, encodeValue, MAX_SEND_LINE_CHARS } from '../encode.js';
import type { RequestContext } from '../types.js';
import { mintEid } from '../visitor.js';
import { buildPixelLine, withoutIdentity, type PixelQuery } from './query-line.js';

/** One pixel hit ready to leave: the wire line and its ordering key. */
export interface PreparedLine {
  line: string;
  key: string;
}

/**
 * The server's own client information, encoded like the core's hits (docs/protocol.md §5):
 * `X-WT-IP` from the trusted client IP, `X-WT-UA`, `X-WT-RQ` (the `Referer` of a pixel request
 * is the page itself) and, when enabled, the client hints.
 *
 * `compact` is the fallback for a line that would not fit otherwise (`MAX_SEND_LINE_CHARS`):
 * only the IP and the User-Agent cut to 255 characters, which the tracker needs to tell
 * visitors apart; the page URL is in the pixel's own `pu`. At most about 3 KB.
 */
export function clientInfoPairs(ctx: RequestContext, ip: string | undefined, clientHints: boolean, compact = false): string[] {
  const pairs: string[] = [];
  // Validated and formatted by the core: digits, dots, colons and hex only.
  if (ip !== undefined) pairs.push(`X-WT-IP=${ip}`);
  const userAgent = ctx.headers['user-agent'];
  if (userAgent !== undefined && userAgent !== '') pairs.push(`X-WT-UA=${encodeValue(compact ? cutText(userAgent) : userAgent)}`);
  if (compact) return pairs;
  const page = ctx.headers.referer;
  if (page !== undefined && page !== '') pairs.push(`X-WT-RQ=${encodeValue(page)}`);
  if (clientHints) {
    for (const [name, value] of clientHintParams(ctx.headers) ?? []) pairs.push(`${name}=${encodeValue(cutText(value))}`);
  }
  return pairs;
}

/** What `prepareLines` needs besides the parsed queries. */
export interface PrepareOptions {
  /** The core's privacy decision for this request is `anonymous`. */
  anonymous: boolean;
  /** The eid from the visitor's cookies (docs/protocol.md §6 precedence), if any. */
  cookieEid: string | undefined;
  /** Mint an eid when neither the pixel nor a cookie has one. */
  serverCookie: boolean;
  /** `clientInfoPairs` of the request. */
  clientInfo: readonly string[];
  /** `clientInfoPairs(…, compact = true)`, asked for only when a line would be too long with `clientInfo`. */
  compactClientInfo: () => readonly string[];
  /** Ordering key for hits without an eid (IP + UA, as the core's own hits). */
  fallbackKey: string;
}

/**
 * Applies the visitor rules to each query: the pixel's eid is kept; else the cookie's eid is
 * added; else, in server-cookie mode, one eid is minted for the request (`one=1`). Anonymous
 * hits (by the core's decision or the pixel's own `nc=1`) carry no eid and get `nc=1`.
 * `identified` is false when any hit is anonymous: then no Mapp cookie may travel either.
 */
export function prepareLines(queries: readonly PixelQuery[], options: PrepareOptions): { lines: PreparedLine[]; minted: string | undefined; identified: boolean } {
  let minted: string | undefined;
  let identified = !options.anonymous;
  const lines = queries.map((original): PreparedLine => {
    const anonymous = options.anonymous || original.anonymous;
    const query = anonymous ? withoutIdentity(original) : original;
    const extra: string[] = [];
    let eid = query.eid;
    if (anonymous) {
      identified = false;
      if (!original.anonymous) extra.push('nc=1');
    } else if (eid === undefined) {
      eid = options.cookieEid;
      if (eid === undefined && options.serverCookie) {
        minted ??= mintEid();
        eid = minted;
        extra.push(`eid=${eid}`);
        if (!query.pairs.some((pair) => pair.split('=', 1)[0] === 'one')) extra.push('one=1');
      } else if (eid !== undefined) {
        extra.push(`eid=${eid}`);
      }
    }
    let line = buildPixelLine(query.pairs, [...extra, ...options.clientInfo]);
    // A pixel query near its 30,720-character cut plus huge request headers: send less of
    // our own information rather than drop the pixel's hit.
    if (line.length > MAX_SEND_LINE_CHARS) line = buildPixelLine(query.pairs, [...extra, ...options.compactClientInfo()]);
    return { line, key: eid ?? options.fallbackKey };
  });
  return { lines, minted, identified };
}
