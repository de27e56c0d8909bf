/// <reference path="./ua-parser-js.d.ts" />
import UAParser from 'ua-parser-js';

/** Who sent a hit: browser, OS and device type, from its user agent and client hints. */
export interface ClientInfo {
  /** e.g. `Chrome`, `Edge`, `Firefox`, `Mobile Safari`; absent when not recognised (curl, a bot). */
  browser?: string;
  /** The most precise version known: the full version list's, else the user agent's. */
  browserVersion?: string;
  /** e.g. `Windows`, `macOS`, `Mac OS`, `Android`, `iOS`, `Linux`. */
  os?: string;
  /** e.g. `11` for Windows 11 (known only from the platform-version hint; the user agent says 10). */
  osVersion?: string;
  /** `desktop` when a browser or OS was recognised without a device type, `unknown` when nothing was. */
  device: 'desktop' | 'mobile' | 'tablet' | 'smarttv' | 'console' | 'wearable' | 'embedded' | 'xr' | 'unknown';
  /** Device model, e.g. `Pixel 7` (from `Sec-CH-UA-Model`) or `iPhone`. */
  model?: string;
  /**
   * Where the user agent came from: `hit` (the `X-WT-UA` / `X-WT-SEC-CH-UA*` parameters a
   * server-side tracker sends, or a GET's `X-WT-UA` request header), `request` (the HTTP request's own headers, as Mapp uses them when
   * the hit names none: a browser's pixel request) or `none`.
   */
  source: 'hit' | 'request' | 'none';
}

/** A user agent and its client hints (header values, as the browser sent them). */
export interface ClientSignals {
  userAgent?: string;
  /** `Sec-CH-UA` */
  brands?: string;
  /** `Sec-CH-UA-Full-Version-List` */
  fullVersionList?: string;
  /** `Sec-CH-UA-Platform` */
  platform?: string;
  /** `Sec-CH-UA-Platform-Version` */
  platformVersion?: string;
  /** `Sec-CH-UA-Mobile` */
  mobile?: string;
  /** `Sec-CH-UA-Model` */
  model?: string;
}

const DEVICE_TYPES = new Set<ClientInfo['device']>(['mobile', 'tablet', 'smarttv', 'console', 'wearable', 'embedded', 'xr']);
const CACHE_SIZE = 2000;
const cache = new Map<string, ClientInfo>();

/** The hit's own client signals (`X-WT-UA`, `X-WT-SEC-CH-UA*`), or `undefined` when it names no user agent. */
export function hitSignals(params: Readonly<Record<string, string>>): ClientSignals | undefined {
  const userAgent = params['X-WT-UA'];
  const brands = params['X-WT-SEC-CH-UA'];
  if (!userAgent && !brands) return undefined;
  return {
    userAgent,
    brands,
    fullVersionList: params['X-WT-SEC-CH-UA-FULL-VERSION-LIST'],
    platform: params['X-WT-SEC-CH-UA-PLATFORM'],
    platformVersion: params['X-WT-SEC-CH-UA-PLATFORM-VERSION'],
    mobile: params['X-WT-SEC-CH-UA-MOBILE'],
    model: params['X-WT-SEC-CH-UA-MODEL'],
  };
}

/** The client signals of an HTTP request's headers. */
export function requestSignals(headers: Readonly<Record<string, string | string[] | undefined>>): ClientSignals {
  const one = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  return {
    userAgent: one('user-agent'),
    brands: one('sec-ch-ua'),
    fullVersionList: one('sec-ch-ua-full-version-list'),
    platform: one('sec-ch-ua-platform'),
    platformVersion: one('sec-ch-ua-platform-version'),
    mobile: one('sec-ch-ua-mobile'),
    model: one('sec-ch-ua-model'),
  };
}

/**
 * Browser, OS and device type of a client: ua-parser-js reads the user agent, then the client
 * hints win where they are more precise. A frozen Chrome user agent says `Windows NT 10.0`,
 * `Chrome/124.0.0.0` and `Android 10; K` for every Windows 11, every 124.x and every Android
 * phone; the platform version, full version list and model hints name the real ones.
 * Results are cached (a site has few distinct user agents).
 */
export function parseClient(signals: ClientSignals | undefined, source: ClientInfo['source']): ClientInfo {
  if (signals === undefined || (!signals.userAgent && !signals.brands)) return { device: 'unknown', source: 'none' };
  const key = `${source}\n${signals.userAgent ?? ''}\n${signals.brands ?? ''}\n${signals.fullVersionList ?? ''}\n${signals.platform ?? ''}\n${signals.platformVersion ?? ''}\n${signals.mobile ?? ''}\n${signals.model ?? ''}`;
  const cached = cache.get(key);
  if (cached !== undefined) return { ...cached };
  const info = parse(signals, source);
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(key, info);
  return { ...info };
}

function parse(signals: ClientSignals, source: ClientInfo['source']): ClientInfo {
  // ua-parser-js reads at most 500 characters (UA_MAX_LENGTH) itself.
  const { browser, os, device } = new UAParser(signals.userAgent ?? '').getResult();
  const info: ClientInfo = { device: 'unknown', source };
  if (browser.name) info.browser = browser.name;
  if (browser.version) info.browserVersion = browser.version;
  if (os.name) info.os = os.name;
  if (os.version) info.osVersion = os.version;
  if (device.model) info.model = device.model;
  const type = device.type as ClientInfo['device'] | undefined;
  if (type !== undefined && DEVICE_TYPES.has(type)) info.device = type;
  else if (info.browser !== undefined || info.os !== undefined) info.device = 'desktop';

  const brand = mainBrand(signals.fullVersionList) ?? mainBrand(signals.brands);
  if (brand !== undefined) {
    const fromFullList = mainBrand(signals.fullVersionList) !== undefined;
    // A brand names the browser better than a lookalike UA (Brave, or a UA switched by an extension).
    const otherBrowser = info.browser === undefined || !sameBrowser(info.browser, brand.name);
    if (otherBrowser) info.browser = brand.name;
    if (fromFullList || otherBrowser || info.browserVersion === undefined) info.browserVersion = brand.version;
  }
  const platform = unquote(signals.platform);
  if (platform) {
    info.os = platform;
    const version = platformVersion(platform, unquote(signals.platformVersion));
    if (version !== undefined) info.osVersion = version;
    else if (!sameOs(platform, os.name)) delete info.osVersion;
  }
  const model = unquote(signals.model);
  if (model) info.model = model;
  const mobile = signals.mobile?.trim();
  if (mobile === '?1') info.device = 'mobile';
  else if (mobile === '?0' && info.device === 'mobile') info.device = info.os === 'Android' && !model ? 'tablet' : 'desktop';
  else if (mobile === '?0' && info.device === 'unknown') info.device = 'desktop';
  return info;
}

/** The brand a `Sec-CH-UA` list is about: not the GREASE entry, and a vendor's rather than `Chromium`. */
function mainBrand(list: string | undefined): { name: string; version: string } | undefined {
  if (!list) return undefined;
  const brands: Array<{ name: string; version: string }> = [];
  for (const match of list.matchAll(/"((?:[^"\\]|\\.)*)"\s*;\s*v\s*=\s*"([^"]*)"/g)) {
    const name = match[1]!.replace(/\\(.)/g, '$1');
    if (/not.a.brand/i.test(name) || /^not[ (;)_=./?:-]/i.test(name)) continue;
    brands.push({ name, version: match[2]! });
  }
  const chosen = brands.find((brand) => brand.name !== 'Chromium') ?? brands[0];
  return chosen === undefined ? undefined : { name: chosen.name.replace(/^(Google|Microsoft) /, ''), version: chosen.version };
}

function sameBrowser(parsed: string, brand: string): boolean {
  const a = parsed.toLowerCase().replace(/^mobile /, '');
  const b = brand.toLowerCase();
  return a === b || a.startsWith(`${b} `) || b.startsWith(`${a} `);
}

function sameOs(platform: string, parsed: string | undefined): boolean {
  const a = platform.toLowerCase().replace(/\s/g, '');
  const b = (parsed ?? '').toLowerCase().replace(/\s/g, '');
  return a === b || (a === 'chromeos' && b.startsWith('chrom'));
}

/**
 * `Sec-CH-UA-Platform-Version` as people name it. Windows reports its UAPI version: 13 and up
 * is Windows 11, 1 to 10 is Windows 10 (learn.microsoft.com, "Detect Windows 11 using User-Agent Client Hints").
 */
function platformVersion(platform: string, version: string | undefined): string | undefined {
  if (!version) return undefined;
  if (platform !== 'Windows') return version.replace(/(\.0)+$/, '') || version;
  const major = Number(version.split('.')[0]);
  if (!Number.isFinite(major)) return undefined;
  return major >= 13 ? '11' : major > 0 ? '10' : undefined;
}

/** `"Windows"` → `Windows`. */
function unquote(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
}
