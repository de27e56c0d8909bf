import { isIP } from 'node:net';
import { decodeComponent } from './decode.js';
import type { StoredHit } from './types.js';

/**
 * Client information a single GET may carry as request headers instead of query parameters
 * (docs/protocol.md §5, §12): Mapp accepts both and prefers the headers, so a header wins over
 * the parameter of the same name. Values are taken as sent (headers are not percent-encoded).
 */
export type ClientInfoHeaders = Readonly<Partial<Record<ClientInfoHeaderName, string>>>;

/** The `X-WT-*` request headers a single GET may carry (see {@link ClientInfoHeaders}). */
export type ClientInfoHeaderName = 'X-WT-UA' | 'X-WT-IP' | 'X-WT-RQ';

/** Options of {@link validateLine}. */
export interface ValidateOptions {
  /** `wt`: the query of a single GET (the Smart Pixel's length limit); `batch` (default): a batch line (7 KB). */
  via?: 'wt' | 'batch';
  /** `X-WT-*` request headers of a single GET; they win over the parameters of the same name. */
  headers?: ClientInfoHeaders;
}

/** What {@link validateLine} found in one hit line. */
export interface LineValidation {
  /**
   * Decoded query parameters; the first value wins for repeated names, and a header of
   * {@link ValidateOptions.headers} wins over its parameter. A null-prototype object, so names
   * such as `constructor` or `__proto__` are plain parameters.
   */
  params: Record<string, string>;
  /** `p` split on its literal commas, each field decoded (empty when `p` is missing). */
  p: string[];
  /** Human-readable problems, each starting with the parameter it concerns; empty when valid. */
  problems: string[];
  /** `page`, `event` or `order`, derived from the parameters. */
  type: StoredHit['type'];
}

/** One hit line in a batch (or file) may be at most 7 KB (docs/protocol.md §4). */
export const MAX_LINE_BYTES = 7 * 1024;
/**
 * A single GET is not bound by the 7 KB: it may be as long as a Smart Pixel request (cut at
 * 30,720 characters) that a server passes through with 4 KB of its own client information
 * (docs/protocol.md §4, §9; `MAX_SEND_LINE_CHARS` in the core). The wire line is
 * percent-encoded ASCII, so its characters are bytes: counted as bytes, like the 7 KB.
 */
const MAX_GET_LINE_BYTES = 'wt?'.length + 30_720 + 4 * 1024;
/** Text values are limited to 255 characters (code points) per `;` item (docs/protocol.md §4). */
export const MAX_TEXT_CHARS = 255;
/** Product ids are limited to 110 characters (code points; docs/protocol.md §3). */
export const MAX_PRODUCT_ID_CHARS = 110;

const P_FIELDS = 10;
const PRODUCT_STATUSES = new Set(['view', 'add', 'del', 'checkout', 'conf', 'add-wl', 'del-wl', 'list', 'display-reco', 'click-reco']);
/** Order-level e-commerce parameters: one value per hit, not one per product. */
const ORDER_LEVEL_CB = new Set(['cb563', 'cb759', 'cb761', 'cb762', 'cb763', 'cb764', 'cb765', 'cb766']);
/** Columns that must have exactly one item per product. */
const STRICT_PRODUCT_COLUMN = /^(co|qn|ca\d+|cb760|cb767|plp)$/;
/** Columns that are per product when they have more than one item. */
const LOOSE_PRODUCT_COLUMN = /^cb\d+$/;
/** Values that are URLs, JSON or client information, which the 255-char text limit does not cover. */
const NOT_TEXT = /^(p|pu|eaj|ft|x-wt-.*)$/i;
const DECIMAL = /^-?\d{1,10}([.,]\d{1,2})?$/;
const FLAGS = new Set(['one', 'fns', 'nc']);
const CLIENT_INFO_HEADERS: readonly ClientInfoHeaderName[] = ['X-WT-UA', 'X-WT-IP', 'X-WT-RQ'];

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Characters as the protocol counts them: code points, so an emoji is one character, not the
 * two UTF-16 code units of `.length` (docs/protocol.md §4; `codePointLength` in the core).
 */
function codePointLength(text: string): number {
  let points = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    points++;
  }
  return points;
}

/**
 * Parses and checks one hit line against docs/protocol.md. Accepts the batch form `wt?p=…`,
 * the beacon form `?p=…` and a bare query `p=…`. `via: 'wt'` checks the line as the query
 * of a single GET, whose length limit is the Smart Pixel's rather than the 7 KB of a batch
 * line (the default). Never throws, whatever the input.
 *
 * @example
 * validateLine('wt?p=600,home,,,,,1730181123123,0,,&eid=8173018112312345678').problems // []
 */
export function validateLine(line: string, options: ValidateOptions = {}): LineValidation {
  const problems: string[] = [];
  let query = line;
  if (line.startsWith('wt?')) query = line.slice(3);
  else if (line.startsWith('?')) query = line.slice(1);
  else problems.push(`line: must start with "wt?" (or "?" for the beacon form), got "${preview(line)}"`);

  if (options.via === 'wt') {
    if (utf8Length(line) > MAX_GET_LINE_BYTES) problems.push(`line: ${utf8Length(line)} bytes, over the ${MAX_GET_LINE_BYTES}-byte limit of a single GET`);
  } else if (utf8Length(line) > MAX_LINE_BYTES) problems.push(`line: ${utf8Length(line)} bytes, over the 7 KB (${MAX_LINE_BYTES}) limit`);
  if (/[^\x21-\x7e]/.test(line)) problems.push('line: raw space, control or non-ASCII characters (must be percent-encoded UTF-8)');

  // Null-prototype: `constructor`, `toString` or `__proto__` are parameters like any other.
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const rawValues: Record<string, string> = Object.create(null) as Record<string, string>;
  const counts = new Map<string, number>();
  const badEscape = new Set<string>();
  const badUtf8 = new Set<string>();

  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const name = decodeComponent(rawName);
    const value = decodeComponent(rawValue);
    const key = name.value;
    if (name.badEscape || value.badEscape) badEscape.add(key);
    if (name.badUtf8 || value.badUtf8) badUtf8.add(key);
    if (rawName.includes('+')) problems.push(`${key}: "+" in name; spaces must be %20 and a literal plus %2B`);
    if (rawValue.includes('+')) problems.push(`${key}: "+" in value; spaces must be %20 and a literal plus %2B`);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (!Object.hasOwn(params, key)) {
      params[key] = value.value;
      rawValues[key] = rawValue;
    }
  }
  for (const key of badEscape) problems.push(`${key}: invalid percent-encoding`);
  for (const key of badUtf8) problems.push(`${key}: percent-encoded bytes are not valid UTF-8`);
  for (const [key, n] of counts) if (n > 1) problems.push(`${key}: repeated ${n} times (only the first is used)`);
  const fromHeaders = applyHeaders(params, options.headers);

  const p = checkP(rawValues['p'], problems);
  checkIdentity(params, problems);
  checkTextLimits(params, problems);
  checkProducts(params, problems);
  checkOrder(params, problems);
  checkClientInfo(params, fromHeaders, problems);
  checkCampaign(params, rawValues, problems);

  return { params, p, problems, type: hitType(params) };
}

/** `order` when `ov` is present, `event` for `ct`/`fn`/`mi`, else `page` (docs/protocol.md §3). */
export function hitType(params: Readonly<Record<string, string>>): StoredHit['type'] {
  if (Object.hasOwn(params, 'ov')) return 'order';
  if (Object.hasOwn(params, 'ct') || Object.hasOwn(params, 'fn') || Object.hasOwn(params, 'mi')) return 'event';
  return 'page';
}

/**
 * Puts the `X-WT-*` request headers into `params`, over the parameters of the same name:
 * Mapp prefers headers (docs/protocol.md §5). Returns the names that came from a header.
 */
function applyHeaders(params: Record<string, string>, headers: ClientInfoHeaders | undefined): Set<string> {
  const applied = new Set<string>();
  if (headers === undefined) return applied;
  for (const name of CLIENT_INFO_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    params[name] = value;
    applied.add(name);
  }
  return applied;
}

function checkP(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) {
    problems.push('p: missing (every hit needs p=<version>,<page name>,…)');
    return [];
  }
  const fields = raw.split(',').map((f) => decodeComponent(f).value);
  // A comma inside a field value (a page name or referrer URL with ",") must be %2C, as
  // encodeURIComponent writes it; only encoded separators (too few literal commas) are wrong.
  if (fields.length < P_FIELDS && /%2c/i.test(raw)) problems.push('p: contains an encoded comma (%2C); the field separators must be literal commas');
  // Fewer fields are valid: the docs' minimal request is `p=<version>` (and `p=600,home`);
  // senders fill all ten (600,<page name>,,,,,<ms>,<referrer>,,). More than ten is not p.
  if (fields.length > P_FIELDS) problems.push(`p: ${fields.length} fields, at most ${P_FIELDS} (600,<page name>,,,,,<ms>,<referrer>,,)`);
  const version = fields[0] ?? '';
  if (!/^[3-6]\d\d$/.test(version)) problems.push(`p: version "${preview(version)}" is not a pixel version (600 for S2S)`);
  const name = fields[1];
  if (fields.length > 1 && (name === undefined || name === '')) problems.push('p: empty page name (field 2)');
  const nameChars = name === undefined ? 0 : codePointLength(name);
  if (nameChars > MAX_TEXT_CHARS) problems.push(`p: page name is ${nameChars} chars, over ${MAX_TEXT_CHARS}`);
  const time = fields[6];
  if (time !== undefined && time !== '' && !/^\d{13}$/.test(time)) problems.push(`p: client time (field 7) "${preview(time)}" is not 13-digit ms`);
  return fields;
}

function checkIdentity(params: Record<string, string>, problems: string[]): void {
  const eid = params['eid'];
  if (eid !== undefined && !/^\d{19}$/.test(eid)) problems.push(`eid: "${preview(eid)}" is not 19 digits`);
  if (params['nc'] === '1' && eid !== undefined) problems.push('eid: sent with nc=1 (anonymous hits carry no eid)');
  for (const flag of FLAGS) {
    const v = params[flag];
    if (v !== undefined && v !== '0' && v !== '1') problems.push(`${flag}: "${preview(v)}" is not 0 or 1`);
  }
  const la = params['la'];
  if (la !== undefined && !/^[a-zA-Z]{2}$/.test(la)) problems.push(`la: "${preview(la)}" is not a 2-letter language`);
}

function checkTextLimits(params: Record<string, string>, problems: string[]): void {
  for (const [key, value] of Object.entries(params)) {
    if (NOT_TEXT.test(key)) continue;
    const limit = key === 'ba' ? MAX_PRODUCT_ID_CHARS : MAX_TEXT_CHARS;
    // `mc` is encoded twice on the wire (docs/protocol.md §3): its text is what a second decoding gives.
    const items = (key === 'mc' ? decodeComponent(value).value : value).split(';');
    const long = items.findIndex((item) => codePointLength(item) > limit);
    if (long >= 0) {
      const where = items.length > 1 ? ` (item ${long + 1})` : '';
      problems.push(`${key}: value${where} is ${codePointLength(items[long]!)} chars, over ${limit}`);
    }
  }
}

function checkProducts(params: Record<string, string>, problems: string[]): void {
  const ba = params['ba'];
  const count = ba === undefined ? 0 : ba.split(';').length;
  for (const [key, value] of Object.entries(params)) {
    const strict = STRICT_PRODUCT_COLUMN.test(key);
    const loose = !strict && LOOSE_PRODUCT_COLUMN.test(key) && !ORDER_LEVEL_CB.has(key);
    if (!strict && !loose) continue;
    const n = value.split(';').length;
    if (ba === undefined) {
      if (strict && key !== 'plp') problems.push(`${key}: product column without product ids (ba)`);
      continue;
    }
    if (n !== count && (strict || n > 1)) problems.push(`${key}: ${n} items but ${count} products in ba (columns must align)`);
  }
  for (const key of ['co', 'qn']) {
    const value = params[key];
    if (value === undefined) continue;
    const bad = value.split(';').find((item) => item !== '' && !(key === 'qn' ? /^\d+$/ : DECIMAL).test(item));
    if (bad !== undefined) problems.push(`${key}: "${preview(bad)}" is not ${key === 'qn' ? 'a whole number' : 'a decimal number'}`);
  }
  const st = params['st'];
  if (st !== undefined && !PRODUCT_STATUSES.has(st)) problems.push(`st: "${preview(st)}" is not a product status`);
  if (st !== undefined && ba === undefined) problems.push('st: product status without product ids (ba)');
}

function checkOrder(params: Record<string, string>, problems: string[]): void {
  const ov = params['ov'];
  if (ov !== undefined && !DECIMAL.test(ov)) problems.push(`ov: "${preview(ov)}" is not a decimal number (no thousands separator)`);
  if (ov === undefined && params['oi'] !== undefined) problems.push('oi: order id without order value (ov is required for orders)');
  const cr = params['cr'];
  if (cr !== undefined && !/^[A-Z]{3}$/.test(cr)) problems.push(`cr: "${preview(cr)}" is not an ISO currency code`);
}

function checkClientInfo(params: Record<string, string>, fromHeaders: ReadonlySet<string>, problems: string[]): void {
  const ip = params['X-WT-IP'];
  const where = fromHeaders.has('X-WT-IP') ? ' (request header)' : '';
  if (ip !== undefined && !isStrictIp(ip)) problems.push(`X-WT-IP: "${preview(ip)}"${where} is not one valid IP address`);
  for (const key of Object.keys(params)) {
    if (/^x-wt-/i.test(key) && !key.startsWith('X-WT-')) problems.push(`${key}: client-information names are upper case (X-WT-…)`);
  }
}

function checkCampaign(params: Record<string, string>, raw: Record<string, string>, problems: string[]): void {
  const mc = params['mc'];
  if (mc !== undefined) {
    if ((raw['mc'] ?? '').includes('=') || mc.includes('=')) {
      problems.push('mc: not double-encoded (expected e.g. mc=wt_mc%253Dfoo.bar)');
    }
  }
  const mca = params['mca'];
  if (mca !== undefined && mca !== 'c' && mca !== 'v') problems.push(`mca: "${preview(mca)}" is not c or v`);
}

/**
 * One IPv4 dotted quad or IPv6 address, strictly (docs/protocol.md §5): `isIP` also takes an
 * IPv6 zone id (`fe80::1%eth0`), which names an interface of the sender, not the visitor.
 */
function isStrictIp(value: string): boolean {
  return !value.includes('%') && isIP(value) !== 0;
}

/** The first 40 characters, never cutting a surrogate pair in two. */
function preview(value: string): string {
  if (codePointLength(value) <= 40) return value;
  return `${Array.from(value).slice(0, 40).join('')}…`;
}
