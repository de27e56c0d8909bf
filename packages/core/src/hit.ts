import { codePointLength, cutText, encodeValue, MAX_LINE_BYTES, MAX_PRODUCT_ID_LENGTH, MAX_TEXT_LENGTH } from './encode.js';
import type { HitData, NumberedParams, ProductData } from './types.js';
import { PROTOCOL_VERSION, SENDER_PLATFORM, SENDER_VERSION } from './version.js';

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

/** The encoded line, or why it cannot be sent. */
export type LineResult =
  | { ok: true; line: string; problems: string[] }
  | { ok: false; reason: 'too-large'; problems: string[]; line: string };

/** Parameter names the sender owns; the raw escape hatch cannot set them. */
const RESERVED = new Set(['p', 'eid', 'ceid', 'nc', 'one', 'pu', 'cs801', 'cs802']);
const RAW_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

type Scalar = string | number | boolean | null | undefined;

/** Collects `&name=value` pieces, skipping empty values and duplicate names. */
class Params {
  out = '';
  readonly seen = new Set<string>();
  readonly problems: string[];

  constructor(problems: string[]) {
    this.problems = problems;
  }

  /** Adds an already-encoded value. */
  addEncoded(name: string, encoded: string): void {
    if (this.seen.has(name)) {
      this.problems.push(`duplicate parameter ${name}: the later value was ignored`);
      return;
    }
    this.seen.add(name);
    this.out += `&${name}=${encoded}`;
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
 * Money figures are `decimal(12,2)` at Mapp (PROTOCOL.md §4): a number is rounded to cents,
 * so float noise such as `0.1 + 0.2` or `price * qty` is never sent as `0.30000000000000004`.
 * Strings pass through unchanged (the caller formatted them).
 */
function figure<T>(value: T): T | number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value * 100) / 100 : value;
}

/** What Mapp's tracker-side filter removes before storing a value (PROTOCOL.md §4). */
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

/** Adds numbered per-product columns (`ca[ID]`, `cb[ID]`): the union of ids over all products. */
function addNumberedColumns(params: Params, prefix: string, products: readonly ProductData[], pick: (product: ProductData) => NumberedParams | undefined): void {
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
  for (const id of ids) addColumn(params, prefix + id, products, (product) => pick(product)?.[id as unknown as number]);
}

const SESSION_RESERVED: ReadonlySet<string> = new Set(['cs801', 'cs802']);

/** Encodes the application's hit data (PROTOCOL.md §3) into `params`. */
function addHitData(params: Params, data: HitData): void {
  const page = data.page;
  if (page !== undefined) {
    params.numbered('cp', page.parameters);
    params.numbered('cg', page.categories);
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
    params.add('cs800', session.loginStatus);
    params.numbered('cs', session.parameters, SESSION_RESERVED);
  }
  const action = data.action;
  if (action !== undefined) {
    params.add('ct', action.name);
    params.numbered('ck', action.parameters);
    params.numbered('cb', action.goals);
  }
  const campaign = data.campaign;
  if (campaign !== undefined) {
    if (campaign.mediaCode !== undefined && campaign.mediaCode !== '') {
      // Mapp expects `mc` double-encoded (PROTOCOL.md §3, Campaign).
      params.addEncoded('mc', encodeValue(encodeValue(cutText(campaign.mediaCode))));
      params.add('mca', campaign.action ?? 'c');
    }
    params.numbered('cc', campaign.parameters);
  }
  const customer = data.customer;
  if (customer !== undefined) {
    params.add('cd', customer.id);
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
    params.add('ov', figure(order.value));
    params.add('oi', order.id);
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
  if (products !== undefined && products.length > 0) {
    addColumn(params, 'ba', products, (product) => product.id, MAX_PRODUCT_ID_LENGTH);
    addColumn(params, 'co', products, (product) => figure(product.cost));
    addColumn(params, 'qn', products, (product) => product.quantity);
    params.add('st', data.productStatus ?? (order !== undefined ? 'conf' : 'view'));
    addNumberedColumns(params, 'ca', products, (product) => product.categories);
    addNumberedColumns(params, 'cb', products, (product) => product.parameters);
    addColumn(params, 'cb760', products, (product) => product.soldOut);
    addColumn(params, 'cb767', products, (product) => product.variant);
    addColumn(params, 'plp', products, (product) => product.position);
  }
  const currency = order?.currency ?? data.currency;
  if (currency !== undefined && (order !== undefined || (products !== undefined && products.length > 0))) params.add('cr', currency);
  params.add('la', data.language);
  params.add('pec', data.permissionCategory);
  const raw = data.raw;
  if (raw !== undefined) {
    for (const name of Object.keys(raw)) {
      if (!RAW_NAME.test(name) || RESERVED.has(name) || name.toLowerCase().startsWith('x-wt') || name.toLowerCase().startsWith('x_wt')) {
        params.problems.push(`raw parameter name ${JSON.stringify(name.slice(0, 40))} is invalid or reserved`);
        continue;
      }
      params.add(name, raw[name]);
    }
  }
}

/** Values the line shortener may change, most expendable first (PROTOCOL.md §4). */
interface Shortening {
  pageName: string;
  referrer: string;
  pageUrl: string | undefined;
  userAgent: string | undefined;
  dropFullVersionList: boolean;
}

function buildP(input: LineInput, s: Shortening): string {
  const ref = s.referrer === '0' || s.referrer === '1' || s.referrer === '2' ? s.referrer : encodeValue(s.referrer);
  return `wt?p=${PROTOCOL_VERSION},${encodeValue(cutText(s.pageName))},,,,,${Math.trunc(input.time)},${ref},,`;
}

function buildClient(input: LineInput, s: Shortening): string {
  let out = '';
  if (input.anonymous) out += '&nc=1';
  else {
    if (input.eid !== undefined) out += `&eid=${input.eid}${input.isNewVisitor === true ? '&one=1' : ''}`;
    if (input.ceid !== undefined && input.ceid !== '') out += `&ceid=${encodeValue(cutText(input.ceid))}`;
  }
  // The IP is validated and formatted by us: digits, dots, colons and hex only.
  if (input.ip !== undefined) out += `&X-WT-IP=${input.ip}`;
  if (s.userAgent !== undefined && s.userAgent !== '') out += `&X-WT-UA=${encodeUserAgent(s.userAgent)}`;
  if (s.pageUrl !== undefined && s.pageUrl !== '') {
    const url = encodeValue(s.pageUrl);
    out += `&X-WT-RQ=${url}`;
    if (input.hints !== undefined) out += hintParams(input.hints, s.dropFullVersionList);
    out += `&pu=${url}`;
  } else if (input.hints !== undefined) out += hintParams(input.hints, s.dropFullVersionList);
  return out;
}

/** The same few user agents make up most traffic: memoise their (long) encoding. */
const UA_CACHE_SIZE = 1024;
const uaCache = new Map<string, string>();

function encodeUserAgent(userAgent: string): string {
  let encoded = uaCache.get(userAgent);
  if (encoded === undefined) {
    encoded = encodeValue(userAgent);
    if (uaCache.size >= UA_CACHE_SIZE) uaCache.clear();
    uaCache.set(userAgent, encoded);
  }
  return encoded;
}

function hintParams(hints: ReadonlyArray<readonly [string, string]>, dropFullVersionList: boolean): string {
  let out = '';
  for (const [name, value] of hints) {
    if (dropFullVersionList && name === 'X-WT-SEC-CH-UA-FULL-VERSION-LIST') continue;
    out += `&${name}=${encodeValue(cutText(value))}`;
  }
  return out;
}

const SENDER = `&cs801=${encodeValue(SENDER_VERSION)}&cs802=${SENDER_PLATFORM}`;

/** Removes the query (and fragment) of a URL. */
function withoutQuery(url: string): string {
  const q = url.search(/[?#]/);
  return q === -1 ? url : url.slice(0, q);
}

/** Shortens the page name so the line loses `excess` bytes, down to a floor of 16 characters. */
function shortenPageName(input: LineInput, s: Shortening, excess: number): string {
  let name = cutText(s.pageName);
  const target = encodeValue(name).length - excess;
  while (encodeValue(name).length > target && name.length > 16) {
    const encoded = encodeValue(name).length;
    const ratio = Math.max(0, target) / encoded;
    const next = cutText(name, Math.max(16, Math.floor([...name].length * ratio)));
    name = next.length < name.length ? next : cutText(name, [...name].length - 1);
  }
  return name;
}

/**
 * Builds the `wt?p=600,...` line for one hit (PROTOCOL.md §2-§5). Never throws: problems
 * (ignored values) are reported, and a line over 7 KB is shortened, least important values
 * first (page name, referrer query, page URL query, client-hint details, long UA, referrer
 * path, then the page URL itself); if that is not enough the hit is dropped as `too-large`.
 */
export function buildLine(input: LineInput): LineResult {
  const problems: string[] = [];
  const params = new Params(problems);
  if (input.data !== undefined) addHitData(params, input.data);
  const tail = params.out + SENDER;
  const s: Shortening = {
    pageName: input.pageName,
    referrer: input.referrer,
    pageUrl: input.pageUrl,
    userAgent: input.userAgent,
    dropFullVersionList: false,
  };
  let p = buildP(input, s);
  let client = buildClient(input, s);
  let length = p.length + client.length + tail.length;
  if (length <= MAX_LINE_BYTES) return { ok: true, line: p + client + tail, problems };

  // Slow path: rare, so clarity beats speed.
  const steps: Array<[string, () => void]> = [
    ['page name shortened', () => { s.pageName = shortenPageName(input, s, length - MAX_LINE_BYTES); }],
    ['referrer query removed', () => { if (s.referrer.length > 1) s.referrer = withoutQuery(s.referrer); }],
    ['page URL query removed', () => { if (s.pageUrl !== undefined) s.pageUrl = withoutQuery(s.pageUrl); }],
    ['client hint full version list removed', () => { s.dropFullVersionList = true; }],
    ['user agent cut to 255 characters', () => { if (s.userAgent !== undefined) s.userAgent = cutText(s.userAgent); }],
    ['referrer replaced by its origin', () => { if (s.referrer.length > 1) s.referrer = originOf(s.referrer); }],
    // Last resort: a very long path (any visitor can request one) would otherwise cost the page view.
    ['page URL shortened', () => { if (s.pageUrl !== undefined) s.pageUrl = shortenUrl(s.pageUrl, length - MAX_LINE_BYTES); }],
  ];
  for (const [label, apply] of steps) {
    apply();
    const nextP = buildP(input, s);
    const nextClient = buildClient(input, s);
    const nextLength = nextP.length + nextClient.length + tail.length;
    if (nextLength < length) problems.push(label);
    p = nextP;
    client = nextClient;
    length = nextLength;
    if (length <= MAX_LINE_BYTES) return { ok: true, line: p + client + tail, problems };
  }
  problems.push(`line is ${length} bytes after shortening, over the ${MAX_LINE_BYTES}-byte limit`);
  return { ok: false, reason: 'too-large', problems, line: p + client + tail };
}

function originOf(url: string): string {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd === -1) return cutText(url, 64);
  const slash = url.indexOf('/', schemeEnd + 3);
  // The Referer is the visitor's to choose: even its host part is bounded.
  return cutText(slash === -1 ? url : url.slice(0, slash), MAX_TEXT_LENGTH);
}

/**
 * Cuts a page URL (sent twice: `X-WT-RQ` and `pu`) so the line loses `excess` bytes, never
 * below its first 64 characters and never inside a `%XX` escape.
 */
function shortenUrl(url: string, excess: number): string {
  const target = encodeValue(url).length - Math.ceil(excess / 2);
  let cut = url;
  while (encodeValue(cut).length > target && cut.length > 64) {
    const points = codePointLength(cut);
    const ratio = Math.max(0, target) / encodeValue(cut).length;
    cut = cutText(cut, Math.max(64, Math.min(points - 1, Math.floor(points * ratio))));
  }
  return cut.replace(/%[0-9A-Fa-f]?$/, '');
}
