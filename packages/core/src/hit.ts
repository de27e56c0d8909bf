import { cutText, encodeValue, MAX_LINE_BYTES, MAX_PRODUCT_ID_LENGTH, MAX_TEXT_LENGTH, safeDecode } from './encode.js';
import type { HitData, NumberedParams, ProductData } from './types.js';
import { PROTOCOL_VERSION, SENDER_VERSION, senderPlatform } from './version.js';

/** Everything the wire line is made of, before encoding. */
export interface LineInput {
  /** Page name (`p` field 2), not yet cut. */
  pageName: string;
  /** Event time, ms since epoch (`p` field 7). */
  time: number;
  /** `p` field 8: `0`, `1`, `2` or a referrer URL. */
  referrer: string;
  eid?: string | undefined;
  isNewVisitor?: boolean | undefined;
  ceid?: string | undefined;
  /** Anonymous mode: `nc=1`, and never `eid`/`ceid`. */
  anonymous: boolean;
  ip?: string | undefined;
  userAgent?: string | undefined;
  /** Current page URL: sent as `X-WT-RQ` and `pu`. */
  pageUrl?: string | undefined;
  /** `[X-WT-SEC-CH-UA..., value]` pairs. */
  hints?: ReadonlyArray<readonly [string, string]> | undefined;
  data?: HitData | undefined;
}

/**
 * The encoded line, or why it cannot be sent. A hit too big for one 7 KB line whose products
 * were split across follow-up lines (docs/protocol.md §4) has `lines`: every line to send, in order,
 * `line` being the first. Send them all, in that order, with the same ordering key.
 */
export type LineResult =
  | { ok: true; line: string; lines?: string[]; problems: string[] }
  | { ok: false; reason: 'too-large'; problems: string[]; line: string };

/**
 * Event name (`ct`) of the follow-up hits that carry the products of a hit too big for one
 * line (docs/protocol.md §4). An event, not a page impression: Mapp links products sent with an
 * event to the page the event happened on.
 */
export const PRODUCT_FOLLOW_UP_EVENT = 'mapp-s2s.products-continued';

/** Parameter names the sender owns; the raw escape hatch cannot set them. */
const RESERVED = new Set(['p', 'eid', 'ceid', 'nc', 'one', 'pu', 'cs801', 'cs802']);
const RAW_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

type Scalar = string | number | boolean | null | undefined;

/**
 * What a parameter is for, which decides when it is left out of a line over 7 KB
 * (see `NON_PRODUCT_STEPS`). `core` is never left out.
 */
type Group = 'core' | 'raw' | 'cc' | 'ck' | 'cp' | 'cg' | 'uc' | 'cs' | 'cb' | 'mc';

/** One encoded parameter of a hit, kept apart for the slow path. */
interface Piece {
  name: string;
  encoded: string;
  group: Group;
}

/** Per-product column groups, left out (for every product) in this order when one product alone is too big. */
type ColumnGroup = 'core' | 'ca' | 'cb' | 'cb767' | 'cb760' | 'plp';

/** One aligned product column: an encoded item per product (`''` for an empty slot). */
interface Column {
  name: string;
  items: string[];
  group: ColumnGroup;
}

/** The products of a hit, column by column, so they can be split across lines. */
interface ProductBlock {
  columns: Column[];
  /** Encoded `st` value. */
  status: string;
  count: number;
}

/** Collects `&name=value` pieces into `out`, skipping empty values and duplicate names. */
class Params {
  out = '';
  readonly seen = new Set<string>();
  readonly problems: string[];

  constructor(problems: string[]) {
    this.problems = problems;
  }

  /** Whether `name` is new; reports a duplicate. */
  protected fresh(name: string): boolean {
    if (!this.seen.has(name)) return true;
    this.problems.push(`duplicate parameter ${name}: the later value was ignored`);
    return false;
  }

  /** Adds an already-encoded value. */
  addEncoded(name: string, encoded: string): void {
    if (!this.fresh(name)) return;
    this.seen.add(name);
    this.out += `&${name}=${encoded}`;
  }

  /** Starts the parameters of `group` (only the slow path keeps it). */
  section(_group: Group): void {}

  /** Adds the product columns, joined over all products (docs/protocol.md §3, Products). */
  addProducts(products: readonly ProductData[], status: string): void {
    addColumn(this, 'ba', products, (product) => product.id, MAX_PRODUCT_ID_LENGTH);
    addColumn(this, 'co', products, (product) => figure(product.cost));
    addColumn(this, 'qn', products, (product) => product.quantity);
    this.add('st', status);
    addNumberedColumns(this, 'ca', products, (product) => product.categories);
    addNumberedColumns(this, 'cb', products, (product) => product.parameters);
    addColumn(this, 'cb760', products, (product) => product.soldOut);
    addColumn(this, 'cb767', products, (product) => product.variant);
    addColumn(this, 'plp', products, (product) => product.position);
  }

  /** Adds a text value: booleans as 1/0, cut at 255 characters, percent-encoded. */
  add(name: string, value: Scalar, max: number = MAX_TEXT_LENGTH): void {
    const text = scalarText(value, name, this.problems);
    if (text === undefined) return;
    this.addEncoded(name, encodeValue(cutText(text, max)));
  }

  /** Adds numbered parameters `prefix[ID]`. */
  numbered(prefix: string, values: NumberedParams | undefined, reserved?: ReadonlySet<string>): void {
    if (values === undefined || values === null) return;
    for (const key of Object.keys(values)) {
      if (!isParamId(key)) {
        this.problems.push(`${prefix}${key}: parameter ids are numbers from 1 to 9999`);
        continue;
      }
      const name = prefix + key;
      if (reserved?.has(name) === true) {
        this.problems.push(`${name} is reserved for the sender`);
        continue;
      }
      this.add(name, values[key as unknown as number]);
    }
  }
}

/**
 * The slow path's collector: keeps each piece with its group, and the products column by
 * column, so a line over 7 KB can be rebuilt without some of them.
 */
class PieceParams extends Params {
  readonly pieces: Piece[] = [];
  private group: Group = 'core';
  /** The products, and where they sit among the pieces. */
  products: ProductBlock | undefined;
  productsAt = 0;

  override addEncoded(name: string, encoded: string): void {
    if (!this.fresh(name)) return;
    this.seen.add(name);
    this.pieces.push({ name, encoded, group: this.group });
  }

  override section(group: Group): void {
    this.group = group;
  }

  override addProducts(products: readonly ProductData[], status: string): void {
    const columns: Column[] = [];
    this.column(columns, 'ba', 'core', products, (product) => product.id, MAX_PRODUCT_ID_LENGTH);
    this.column(columns, 'co', 'core', products, (product) => figure(product.cost));
    this.column(columns, 'qn', 'core', products, (product) => product.quantity);
    this.seen.add('st');
    for (const id of columnIds(this, 'ca', products, (product) => product.categories)) {
      this.column(columns, `ca${id}`, 'ca', products, (product) => product.categories?.[id as unknown as number]);
    }
    for (const id of columnIds(this, 'cb', products, (product) => product.parameters)) {
      this.column(columns, `cb${id}`, 'cb', products, (product) => product.parameters?.[id as unknown as number]);
    }
    this.column(columns, 'cb760', 'cb760', products, (product) => product.soldOut);
    this.column(columns, 'cb767', 'cb767', products, (product) => product.variant);
    this.column(columns, 'plp', 'plp', products, (product) => product.position);
    this.productsAt = this.pieces.length;
    this.products = { columns, status: encodeValue(cutText(status)), count: products.length };
  }

  /** One aligned column, item by item, unless every slot is empty (as `addColumn` decides). */
  private column(columns: Column[], name: string, group: ColumnGroup, products: readonly ProductData[], pick: (product: ProductData) => Scalar, max = MAX_TEXT_LENGTH): void {
    const items: string[] = [];
    let any = false;
    for (const product of products) {
      const item = encodeValue(columnItem(pick(product), max, name, this.problems));
      if (item !== '') any = true;
      items.push(item);
    }
    if (!any || !this.fresh(name)) return;
    this.seen.add(name);
    columns.push({ name, items, group });
  }
}

/**
 * A media code as text: ours is `wt_mc=foo`; Mapp's docs and official libraries take it with the
 * separator already encoded (`wt_mc%3Dfoo`, which they encode once more). Such a code (no `=`, a
 * `%3D`) is decoded once, so both give the same `mc` on the wire.
 */
function mediaCodeText(code: string): string {
  return code.includes('=') || !/%3d/i.test(code) ? code : safeDecode(code);
}

/**
 * Money figures are `decimal(12,2)` at Mapp (docs/protocol.md §4): a number is rounded to cents,
 * so float noise such as `0.1 + 0.2` or `price * qty` is never sent as `0.30000000000000004`.
 * Strings pass through unchanged (the caller formatted them).
 */
function figure<T>(value: T): T | number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value * 100) / 100 : value;
}

/** What Mapp's tracker-side filter removes before storing a value (docs/protocol.md §4). */
const MAPP_FILTERED = /[\x00-\x1f'"<>\\]/g;

/**
 * The products that have an id Mapp can store. A product whose id is empty once Mapp's filter
 * ran (``, spaces, control characters, quotes) would leave `co`/`qn`/`st` without `ba`; it is
 * dropped with a problem, and with none left no product columns are sent at all.
 */
function productsWithId(products: readonly ProductData[] | undefined, problems: string[]): readonly ProductData[] | undefined {
  if (products === undefined || products === null) return products;
  const kept = products.filter((product) => {
    const id: unknown = product?.id;
    const text = typeof id === 'string' ? id : typeof id === 'number' && Number.isFinite(id) ? String(id) : '';
    return text.replace(MAPP_FILTERED, '').trim() !== '';
  });
  if (kept.length < products.length) problems.push(`${products.length - kept.length} of ${products.length} products without an id were dropped`);
  return kept;
}

/** Parameter ids are 1-4 digit numbers without a leading zero. */
function isParamId(key: string): boolean {
  if (key.length === 0 || key.length > 4 || key === '0' || key.charCodeAt(0) === 48) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The text of a scalar, or undefined when it is not sent (null, undefined, '', NaN). */
function scalarText(value: Scalar, name: string, problems: string[]): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return String(value);
    problems.push(`${name}: ${String(value)} is not a finite number`);
    return undefined;
  }
  if (typeof value === 'string') return value;
  problems.push(`${name}: unsupported value type ${typeof value}`);
  return undefined;
}

/** One product column value: `''` for a missing value keeps positions aligned; `;` inside a value would shift columns. */
function columnItem(value: Scalar, max: number, name: string, problems: string[]): string {
  const text = scalarText(value, name, problems);
  if (text === undefined) return '';
  const cut = cutText(text, max);
  return cut.indexOf(';') === -1 ? cut : cut.replace(/;/g, ',');
}

/** Adds one aligned product column, unless every slot is empty. */
function addColumn(params: Params, name: string, products: readonly ProductData[], pick: (product: ProductData) => Scalar, max = MAX_TEXT_LENGTH): void {
  let joined = '';
  let any = false;
  for (let i = 0; i < products.length; i++) {
    const item = columnItem(pick(products[i] as ProductData), max, name, params.problems);
    if (item !== '') any = true;
    joined = i === 0 ? item : `${joined};${item}`;
  }
  if (any) params.addEncoded(name, encodeValue(joined));
}

/** The valid ids of numbered per-product columns (`ca[ID]`, `cb[ID]`): the union over all products. */
function columnIds(params: Params, prefix: string, products: readonly ProductData[], pick: (product: ProductData) => NumberedParams | undefined): string[] {
  const ids: string[] = [];
  for (const product of products) {
    const values = pick(product);
    if (values === undefined || values === null) continue;
    for (const key of Object.keys(values)) {
      if (!isParamId(key)) {
        params.problems.push(`${prefix}${key}: parameter ids are numbers from 1 to 9999`);
        continue;
      }
      if (!ids.includes(key)) ids.push(key);
    }
  }
  return ids;
}

/** Adds numbered per-product columns (`ca[ID]`, `cb[ID]`). */
function addNumberedColumns(params: Params, prefix: string, products: readonly ProductData[], pick: (product: ProductData) => NumberedParams | undefined): void {
  for (const id of columnIds(params, prefix, products, pick)) addColumn(params, prefix + id, products, (product) => pick(product)?.[id as unknown as number]);
}

const SESSION_RESERVED: ReadonlySet<string> = new Set(['cs801', 'cs802']);

/** Encodes the application's hit data (docs/protocol.md §3) into `params`. */
function addHitData(params: Params, data: HitData): void {
  const page = data.page;
  if (page !== undefined) {
    params.section('cp');
    params.numbered('cp', page.parameters);
    params.section('cg');
    params.numbered('cg', page.categories);
    params.section('cp');
    params.add('is', page.search);
    params.add('cp771', page.resultCount);
    params.add('cp772', page.errorMessages);
    params.add('cp773', page.paywall);
    params.add('cp774', page.articleTitle);
    params.add('cp775', page.contentTags);
    params.add('cp776', page.title);
    params.add('cp777', page.type);
    params.add('cp778', page.length);
    params.add('cp779', page.daysSincePublication);
    params.add('cp781', page.testVariant);
    params.add('cp782', page.testExperiment);
  }
  const session = data.session;
  if (session !== undefined) {
    params.section('cs');
    params.add('cs800', session.loginStatus);
    params.numbered('cs', session.parameters, SESSION_RESERVED);
  }
  const action = data.action;
  if (action !== undefined) {
    params.section('core');
    params.add('ct', action.name);
    params.section('ck');
    params.numbered('ck', action.parameters);
    params.section('cb');
    params.numbered('cb', action.goals);
  }
  const campaign = data.campaign;
  if (campaign !== undefined) {
    params.section('mc');
    if (campaign.mediaCode !== undefined && campaign.mediaCode !== '') {
      // Mapp expects `mc` double-encoded (docs/protocol.md §3, Campaign).
      params.addEncoded('mc', encodeValue(encodeValue(cutText(mediaCodeText(campaign.mediaCode)))));
    }
    // The official libraries send the action with every campaign, with or without a media code.
    params.add('mca', campaign.action ?? 'c');
    params.section('cc');
    params.numbered('cc', campaign.parameters);
  }
  const customer = data.customer;
  if (customer !== undefined) {
    params.section('core');
    params.add('cd', customer.id);
    params.section('uc');
    params.add('uc700', customer.email);
    params.add('uc701', customer.emailReceiverId);
    params.add('uc702', customer.newsletter);
    params.add('uc703', customer.firstName);
    params.add('uc704', customer.lastName);
    params.add('uc705', customer.phone);
    params.add('uc706', customer.gender);
    params.add('uc707', customer.birthday);
    params.add('uc708', customer.country);
    params.add('uc709', customer.city);
    params.add('uc710', customer.postalCode);
    params.add('uc711', customer.street);
    params.add('uc712', customer.streetNumber);
    params.add('uc713', customer.validation);
    params.numbered('uc', customer.categories);
  }
  const order = data.order;
  if (order !== undefined) {
    params.section('core');
    params.add('ov', figure(order.value));
    params.add('oi', order.id);
    params.section('cb');
    params.add('cb563', figure(order.couponValue));
    params.add('cb759', figure(order.tax));
    params.add('cb761', order.paymentMethod);
    params.add('cb762', order.shippingService);
    params.add('cb763', order.shippingSpeed);
    params.add('cb764', figure(order.shippingCosts));
    params.add('cb765', figure(order.grossMargin));
    params.add('cb766', order.status);
    params.numbered('cb', order.parameters);
  }
  const products = productsWithId(data.products, params.problems);
  params.section('core');
  if (products !== undefined && products.length > 0) {
    params.addProducts(products, data.productStatus ?? (order !== undefined ? 'conf' : 'view'));
  }
  const currency = order?.currency ?? data.currency;
  if (currency !== undefined && (order !== undefined || (products !== undefined && products.length > 0))) params.add('cr', currency);
  params.add('la', data.language);
  params.add('pec', data.permissionCategory);
  const raw = data.raw;
  if (raw !== undefined) {
    params.section('raw');
    for (const name of Object.keys(raw)) {
      if (!RAW_NAME.test(name) || RESERVED.has(name) || name.toLowerCase().startsWith('x-wt') || name.toLowerCase().startsWith('x_wt')) {
        params.problems.push(`raw parameter name ${JSON.stringify(name.slice(0, 40))} is invalid or reserved`);
        continue;
      }
      params.add(name, raw[name]);
    }
  }
}

/**
 * The client-side values of a line, as the slow path may change them. The fast path builds
 * from the input unchanged.
 */
interface Shape {
  referrer: string;
  pageUrl: string | undefined;
  userAgent: string | undefined;
  /** `X-WT-RQ` repeats `pu` (docs/protocol.md §5): the first thing left out. */
  sendRq: boolean;
  hints: ReadonlyArray<readonly [string, string]> | undefined;
  /** Parameter and column groups left out (slow path). */
  omit?: Set<Group | ColumnGroup>;
}

function buildP(pageName: string, time: number, referrer: string): string {
  const ref = referrer === '0' || referrer === '1' || referrer === '2' ? referrer : encodeValue(referrer);
  // The page name is only ever cut at Mapp's own 255-character text limit: a shorter name
  // would be a page that does not exist.
  return `wt?p=${PROTOCOL_VERSION},${encodeValue(cutText(pageName))},,,,,${time},${ref},,`;
}

/** `eid`/`one`/`ceid`, or `nc=1` in anonymous mode. */
function identity(input: LineInput, withNewVisitor: boolean): string {
  if (input.anonymous) return '&nc=1';
  let out = '';
  if (input.eid !== undefined) out += `&eid=${input.eid}${withNewVisitor && input.isNewVisitor === true ? '&one=1' : ''}`;
  if (input.ceid !== undefined && input.ceid !== '') out += `&ceid=${encodeValue(cutText(input.ceid))}`;
  return out;
}

/** `X-WT-IP` and `X-WT-UA`: what Mapp needs to place a hit in its visitor's session (docs/protocol.md §5, §6). */
function clientAddress(input: LineInput, s: Shape): string {
  // The IP is validated and formatted by us: digits, dots, colons and hex only.
  let out = input.ip === undefined ? '' : `&X-WT-IP=${input.ip}`;
  if (s.userAgent !== undefined && s.userAgent !== '') out += `&X-WT-UA=${encodeUserAgent(s.userAgent)}`;
  return out;
}

function buildClient(input: LineInput, s: Shape): string {
  let out = identity(input, true) + clientAddress(input, s);
  if (s.pageUrl !== undefined && s.pageUrl !== '') {
    const url = encodeCached(urlCache, s.pageUrl);
    if (s.sendRq) out += `&X-WT-RQ=${url}`;
    if (s.hints !== undefined) out += hintParams(s.hints);
    out += `&pu=${url}`;
  } else if (s.hints !== undefined) out += hintParams(s.hints);
  return out;
}

/**
 * The same few user agents and page URLs make up most traffic: their (long) encodings are
 * memoised. Clearing a full cache beats LRU bookkeeping on this path.
 */
const ENCODE_CACHE_SIZE = 1024;
const uaCache = new Map<string, string>();
const urlCache = new Map<string, string>();
/** Client-hint values: a handful per browser version, the same on most requests. */
const hintCache = new Map<string, string>();

function encodeCached(cache: Map<string, string>, value: string): string {
  let encoded = cache.get(value);
  if (encoded === undefined) {
    encoded = encodeValue(value);
    if (cache.size >= ENCODE_CACHE_SIZE) cache.clear();
    cache.set(value, encoded);
  }
  return encoded;
}

function encodeUserAgent(userAgent: string): string {
  return encodeCached(uaCache, userAgent);
}

function hintParams(hints: ReadonlyArray<readonly [string, string]>): string {
  let out = '';
  for (const [name, value] of hints) out += `&${name}=${encodeCached(hintCache, cutText(value))}`;
  return out;
}

let sender: string | undefined;

/** `&cs801=mapp-s2s-<version>&cs802=<runtime>`, worked out once (the runtime does not change). */
function senderParams(): string {
  sender ??= `&cs801=${encodeValue(SENDER_VERSION)}&cs802=${senderPlatform()}`;
  return sender;
}

/**
 * Builds the `wt?p=600,...` line for one hit (docs/protocol.md §2-§5). Never throws: problems
 * (ignored or left-out values) are reported. A line over 7 KB goes to {@link buildLinesSlow}:
 * optional data is left out, least important first, and products that still do not fit are
 * split across follow-up lines; never is a value invented (the page name is never shortened).
 */
export function buildLine(input: LineInput): LineResult {
  let problems = NO_PROBLEMS;
  let tail = senderParams();
  const data = input.data;
  // A page view without hit data (most of them) needs no parameter collector at all.
  if (data !== undefined && hasKeys(data)) {
    problems = [];
    const params = new Params(problems);
    addHitData(params, data);
    tail = params.out + tail;
  }
  const p = buildP(input.pageName, Math.trunc(input.time), input.referrer);
  const client = buildClient(input, { referrer: input.referrer, pageUrl: input.pageUrl, userAgent: input.userAgent, sendRq: true, hints: input.hints });
  if (p.length + client.length + tail.length <= MAX_LINE_BYTES) return { ok: true, line: flatten(p + client + tail), problems };
  return buildLinesSlow(input);
}

/** Written by `flatten` (a store the compiler cannot drop as unused). */
let firstChar = 0;

/**
 * V8 keeps a string built by concatenation as a tree of its pieces until a character of it
 * is read; then it copies it into one flat string, in the heap space where the tree lives.
 * A line waits in a queue for a while (a batch, a Redis round trip), long enough for the tree
 * to be moved into the old generation with every piece; flattening it there when it is sent
 * cost several times more than now, while it is young (bench/request-path.mjs). So it is
 * flattened at once: reading one character does it.
 */
function flatten(line: string): string {
  firstChar = line.charCodeAt(0);
  return line;
}

/**
 * The problems of a line that has none: one shared, frozen array (this is the common case of
 * every request). Consumers copy before adding to it.
 */
const NO_PROBLEMS: string[] = Object.freeze([]) as unknown as string[];

/** `true` when `object` has an own enumerable key (without building a key array). */
function hasKeys(object: object): boolean {
  for (const key in object) if (Object.prototype.hasOwnProperty.call(object, key)) return true;
  return false;
}


// ---------------------------------------------------------------------------
// Slow path: a hit over 7 KB. Rare, so clarity beats speed.
// ---------------------------------------------------------------------------

/** Everything of a hit, piece by piece, for rebuilding it without some of them. */
interface Model {
  input: LineInput;
  pieces: Piece[];
  productsAt: number;
  products: ProductBlock | undefined;
}

/** A step that leaves something out; returns the problem to report, or undefined when there was nothing to leave out. */
interface Step {
  apply(model: Model, s: Shape): string | undefined;
  /** Whether it also shrinks follow-up lines (which carry only the visitor, the UA and the products). */
  followUps?: boolean;
}

/** Names listed in a problem, at most ten. */
function nameList(names: readonly string[]): string {
  return names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`;
}

/** Leaves out the pieces of `group`, named in the problem as `what`. */
function omitGroup(group: Group, what: string): Step {
  return {
    apply(model, s) {
      const names = model.pieces.filter((piece) => piece.group === group).map((piece) => piece.name);
      (s.omit ??= new Set()).add(group);
      return names.length === 0 ? undefined : `left out ${what} ${nameList(names)}`;
    },
  };
}

/** Leaves out the product columns of `group` (for every product); `why` ends the problem. */
function omitColumns(group: ColumnGroup, what: string, why = ''): Step {
  return {
    apply(model, s) {
      const names = model.products?.columns.filter((column) => column.group === group).map((column) => column.name) ?? [];
      (s.omit ??= new Set()).add(group);
      return names.length === 0 ? undefined : `left out ${what} ${nameList(names)}${why}`;
    },
  };
}

/** Removes the query (and fragment) of a URL. */
function withoutQuery(url: string): string {
  const q = url.search(/[?#]/);
  return q === -1 ? url : url.slice(0, q);
}

/** A referrer URL's origin (`https://host`), bounded: the Referer is the visitor's to choose. */
function originOf(url: string): string {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd === -1) return cutText(url, 64);
  const slash = url.indexOf('/', schemeEnd + 3);
  return cutText(slash === -1 ? url : url.slice(0, slash), MAX_TEXT_LENGTH);
}

const isUrl = (referrer: string): boolean => referrer.length > 1;

/**
 * Lossless (or nearly) first, tried while the hit still fits one line: `X-WT-RQ` repeats `pu`,
 * and Mapp keeps the categories a product was first tracked with ("Categories are assigned once
 * to a product", Mapp docs: Product, Java/PHP library), so an order's `ca*` add nothing Mapp
 * does not know from the product views.
 */
const BEFORE_SPLIT: readonly Step[] = [
  {
    apply(_model, s) {
      const had = s.sendRq && s.pageUrl !== undefined && s.pageUrl !== '';
      s.sendRq = false;
      return had ? 'left out X-WT-RQ (it repeats pu)' : undefined;
    },
  },
  omitColumns('ca', 'the product categories', ' (Mapp keeps the categories a product was first tracked with)'),
];

/**
 * What the first line may lose when it does not fit even without any product, least important
 * first. Products are never in this list: they move to follow-up lines instead. Never left
 * out: the page name, `eid`/`ceid`/`nc`, `X-WT-IP`, `X-WT-UA` (cut at most), `ct`, `cd`, `ov`,
 * `oi`, `cr`, `la`, `pec`, `ba`/`co`/`qn`/`st`, `cs801`/`cs802`.
 */
const NON_PRODUCT_STEPS: readonly Step[] = [
  {
    apply(_model, s) {
      const before = s.hints?.length ?? 0;
      s.hints = s.hints?.filter(([name]) => name !== 'X-WT-SEC-CH-UA-FULL-VERSION-LIST');
      return (s.hints?.length ?? 0) < before ? 'left out the client hint X-WT-SEC-CH-UA-FULL-VERSION-LIST' : undefined;
    },
  },
  {
    apply(_model, s) {
      const names = s.hints?.map(([name]) => name) ?? [];
      s.hints = undefined;
      return names.length === 0 ? undefined : `left out the client hints ${nameList(names)}`;
    },
  },
  {
    apply(_model, s) {
      const before = s.referrer;
      if (isUrl(before)) s.referrer = withoutQuery(before);
      return s.referrer !== before ? 'left out the referrer query' : undefined;
    },
  },
  {
    apply(_model, s) {
      const before = s.pageUrl;
      if (before !== undefined) s.pageUrl = withoutQuery(before);
      return s.pageUrl !== before ? 'left out the page URL query (pu)' : undefined;
    },
  },
  omitGroup('raw', 'the raw parameters'),
  omitGroup('cc', 'the campaign parameters'),
  omitGroup('ck', 'the event parameters'),
  omitGroup('cp', 'the page parameters'),
  omitGroup('cg', 'the content groups'),
  omitGroup('uc', 'the user categories'),
  omitGroup('cs', 'the session parameters'),
  omitGroup('cb', 'the order and goal parameters'),
  {
    // Cut rather than left out: without X-WT-UA Mapp would record our server's user agent.
    followUps: true,
    apply(_model, s) {
      const before = s.userAgent;
      if (before !== undefined) s.userAgent = cutText(before);
      return s.userAgent !== before ? 'cut the user agent to 255 characters' : undefined;
    },
  },
  {
    apply(_model, s) {
      const before = s.referrer;
      if (isUrl(before)) s.referrer = originOf(before);
      return s.referrer !== before ? 'left out the referrer path (its origin is kept)' : undefined;
    },
  },
  {
    apply(_model, s) {
      const had = s.pageUrl !== undefined && s.pageUrl !== '';
      s.pageUrl = undefined;
      return had ? 'left out the page URL (pu)' : undefined;
    },
  },
  omitGroup('mc', 'the campaign'),
];

/** What products lose when a single product does not fit a follow-up line, least important first. */
const PRODUCT_STEPS: readonly Step[] = [
  omitColumns('cb', 'the per-product parameters'),
  omitColumns('cb767', 'the product variants'),
  omitColumns('cb760', 'the sold-out flags'),
  omitColumns('plp', 'the list positions'),
];

/** `&name=value` of the pieces in `[from, to)` that are not left out. */
function piecesOut(model: Model, s: Shape, from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const piece = model.pieces[i] as Piece;
    if (s.omit?.has(piece.group) !== true) out += `&${piece.name}=${piece.encoded}`;
  }
  return out;
}

/** The encoded value of a piece sent in every line (`cr`, `pec`), as `&name=value`. */
function pieceOut(model: Model, name: string): string {
  const piece = model.pieces.find((candidate) => candidate.name === name);
  return piece === undefined ? '' : `&${name}=${piece.encoded}`;
}

/** The product columns still sent. */
function columnsIn(block: ProductBlock, s: Shape): Column[] {
  return block.columns.filter((column) => s.omit?.has(column.group) !== true);
}

/**
 * How many products from `start` fit in `room` bytes, with `st` and each column present in
 * the chunk (an all-empty column is not sent; positions stay aligned within the line).
 */
function fitProducts(columns: readonly Column[], block: ProductBlock, start: number, room: number): number {
  let cost = 4 + block.status.length; // &st=...
  const any = columns.map(() => false);
  let end = start;
  while (end < block.count) {
    let next = cost;
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c] as Column;
      const length = (column.items[end] as string).length;
      if (any[c] === true) next += 3 + length; // %3B + item
      else if (length > 0) next += 2 + column.name.length + 3 * (end - start) + length; // &name= + the empty slots before
    }
    if (next > room) break;
    for (let c = 0; c < columns.length; c++) if ((columns[c] as Column).items[end] !== '') any[c] = true;
    cost = next;
    end++;
  }
  return end;
}

/** `&ba=...&co=...&qn=...&st=...&ca1=...` for the products in `[start, end)`. */
function productsOut(columns: readonly Column[], block: ProductBlock, start: number, end: number): string {
  let core = '';
  let rest = '';
  for (const column of columns) {
    const items = column.items.slice(start, end);
    if (items.every((item) => item === '')) continue;
    const param = `&${column.name}=${items.join('%3B')}`;
    if (column.group === 'core') core += param;
    else rest += param;
  }
  return `${core}&st=${block.status}${rest}`;
}

/**
 * A follow-up line's fixed part. The products of a hit too big for one line go on in events
 * (`ct`), which add no page impression: Mapp links products sent with an event to the page the
 * event happened on (Mapp docs: "Enhanced Product Tracking for Dynamic Websites"). Each carries
 * the same page name and visitor (no `one=1`: the visitor is new only once), `X-WT-IP` and
 * `X-WT-UA` (session recognition), referrer code `2` (already sent for this page) and the event
 * time plus `index` ms so the lines keep their order at Mapp. Never `ov`/`oi` (the order is
 * counted once, in the first line), nor page, session, customer or campaign data (already in
 * the first line; a second `mc` would count a second campaign click). `cr` (the products'
 * currency) and `pec` (the permission category) apply to every line.
 */
function followUpHead(model: Model, s: Shape, index: number): string {
  const input = model.input;
  return (
    buildP(input.pageName, Math.trunc(input.time) + index, '2') +
    identity(input, false) +
    clientAddress(input, s) +
    `&ct=${encodeValue(PRODUCT_FOLLOW_UP_EVENT)}`
  );
}

type Packed = { ok: true; lines: string[] } | { ok: false; kind: 'first' | 'follow-up' | 'product'; line: string; length: number };

/** Lays the hit out in lines of at most 7 KB: one line, or (with `split`) the products spread over follow-ups. */
function pack(model: Model, s: Shape, split: boolean): Packed {
  const input = model.input;
  const head = buildP(input.pageName, Math.trunc(input.time), s.referrer) + buildClient(input, s);
  const pre = piecesOut(model, s, 0, model.productsAt);
  const post = piecesOut(model, s, model.productsAt, model.pieces.length) + senderParams();
  const base = head.length + pre.length + post.length;
  const block = model.products;
  if (block === undefined) {
    const line = head + pre + post;
    return base <= MAX_LINE_BYTES ? { ok: true, lines: [line] } : { ok: false, kind: 'first', line, length: base };
  }
  const columns = columnsIn(block, s);
  if (!split) {
    const line = head + pre + productsOut(columns, block, 0, block.count) + post;
    return line.length <= MAX_LINE_BYTES ? { ok: true, lines: [line] } : { ok: false, kind: 'first', line, length: line.length };
  }
  if (base > MAX_LINE_BYTES) return { ok: false, kind: 'first', line: head + pre + post, length: base };
  let end = fitProducts(columns, block, 0, MAX_LINE_BYTES - base);
  const lines = [head + pre + (end > 0 ? productsOut(columns, block, 0, end) : '') + post];
  const tail = pieceOut(model, 'cr') + pieceOut(model, 'pec') + senderParams();
  while (end < block.count) {
    const fixed = followUpHead(model, s, lines.length);
    const room = MAX_LINE_BYTES - fixed.length - tail.length;
    const next = fitProducts(columns, block, end, room);
    if (next === end) {
      // Not even one product fits: too big a product (its optional columns can go), or too big a fixed part.
      const bare = fitProducts(columns.filter((column) => column.group === 'core'), block, end, room);
      const line = fixed + productsOut(columns, block, end, end + 1) + tail;
      return { ok: false, kind: bare === end ? 'follow-up' : 'product', line, length: line.length };
    }
    lines.push(fixed + productsOut(columns, block, end, next) + tail);
    end = next;
  }
  return { ok: true, lines };
}

/** Collects the hit piece by piece (the problems of the fast path are collected again). */
function modelOf(input: LineInput, problems: string[]): Model {
  const params = new PieceParams(problems);
  if (input.data !== undefined) addHitData(params, input.data);
  const pieces = params.pieces;
  return { input, pieces, productsAt: params.products === undefined ? pieces.length : params.productsAt, products: params.products };
}

/**
 * A hit over 7 KB (docs/protocol.md §4). In this order:
 *
 * 1. `BEFORE_SPLIT`, while the hit may still fit one line: `X-WT-RQ` (repeats `pu`), then the
 *    product categories `ca*` (Mapp keeps a product's first categories anyway).
 * 2. Products that do not fit the first line go to follow-up events (see `followUpHead`), each
 *    product in exactly one line, columns aligned per line: nothing is lost, and the order value
 *    and id stay in the first line, counted once.
 * 3. Only when the first line does not fit even without products: `NON_PRODUCT_STEPS`, least
 *    important first. Only when one product alone does not fit a follow-up: `PRODUCT_STEPS`.
 * 4. Still too big (a single gigantic required value): `too-large`, with what it would take.
 *
 * Every left-out item and the split are reported in `problems` (debug events).
 */
function buildLinesSlow(input: LineInput): LineResult {
  const problems: string[] = [];
  const model = modelOf(input, problems);
  const s: Shape = { referrer: input.referrer, pageUrl: input.pageUrl, userAgent: input.userAgent, sendRq: true, hints: input.hints };
  for (const step of BEFORE_SPLIT) {
    const problem = step.apply(model, s);
    if (problem === undefined) continue;
    problems.push(problem);
    const single = pack(model, s, false);
    if (single.ok) return { ok: true, line: single.lines[0] as string, problems };
  }
  let nonProduct = 0;
  let product = 0;
  for (;;) {
    const packed = pack(model, s, true);
    if (packed.ok) {
      const [line, ...rest] = packed.lines as [string, ...string[]];
      if (rest.length === 0) return { ok: true, line, problems };
      const count = model.products?.count ?? 0;
      problems.push(`split the ${count} products across ${packed.lines.length} lines: this hit and ${rest.length} follow-up event${rest.length === 1 ? '' : 's'} ${PRODUCT_FOLLOW_UP_EVENT}`);
      return { ok: true, line, lines: packed.lines, problems };
    }
    let step: Step | undefined;
    if (packed.kind === 'product' && product < PRODUCT_STEPS.length) step = PRODUCT_STEPS[product++];
    else if (packed.kind === 'first') step = NON_PRODUCT_STEPS[nonProduct++];
    else {
      // A follow-up's fixed part is too big: only steps that shrink follow-ups can help.
      while (nonProduct < NON_PRODUCT_STEPS.length && NON_PRODUCT_STEPS[nonProduct]?.followUps !== true) nonProduct++;
      step = NON_PRODUCT_STEPS[nonProduct++];
    }
    if (step === undefined) {
      const where = packed.kind === 'first' ? 'the line' : 'a follow-up line with one product';
      problems.push(`${where} is ${packed.length} bytes with every optional value left out, over the ${MAX_LINE_BYTES}-byte limit`);
      return { ok: false, reason: 'too-large', problems, line: packed.line };
    }
    const problem = step.apply(model, s);
    if (problem !== undefined) problems.push(problem);
  }
}
