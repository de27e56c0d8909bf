import type { ResolvedConfig } from './options.js';
import type { RequestFacts } from './request-facts.js';
import type { RequestContext, SkipReason } from './types.js';

/** File extensions that are never pages. */
const ASSET_EXTENSIONS: ReadonlySet<string> = new Set([
  'js', 'mjs', 'cjs', 'map', 'css', 'json', 'xml', 'txt', 'webmanifest', 'wasm',
  'png', 'jpg', 'jpeg', 'gif', 'svg', 'ico', 'webp', 'avif', 'bmp', 'tif', 'tiff', 'heic',
  'woff', 'woff2', 'ttf', 'otf', 'eot',
  'mp4', 'webm', 'ogg', 'ogv', 'mp3', 'wav', 'flac', 'aac', 'm4a', 'mov', 'avi',
  'pdf', 'zip', 'gz', 'br', 'tar', 'rar', '7z', 'dmg', 'exe', 'apk', 'csv',
]);

/** Folders used for static files by the usual frameworks and bundlers. */
const ASSET_FOLDERS: readonly string[] = ['/static/', '/assets/', '/_next/', '/_nuxt/', '/_astro/', '/@vite/', '/@fs/', '/__vite', '/.well-known/', '/build/static/'];

/** The second character of every folder in `ASSET_FOLDERS`, lower case: a path without one skips them. */
const FOLDER_STARTS: ReadonlySet<number> = new Set(ASSET_FOLDERS.map((folder) => folder.charCodeAt(1)));

/** `true` for static assets: the usual folders or a file extension that is not a page. */
export function isStaticAsset(path: string): boolean {
  if (path.charCodeAt(0) === 47 /* / */ && path.length > 1) {
    let second = path.charCodeAt(1);
    if (second >= 65 && second <= 90) second += 32; // A-Z as a-z
    if (FOLDER_STARTS.has(second)) {
      const lower = path.toLowerCase();
      for (const folder of ASSET_FOLDERS) if (lower.startsWith(folder)) return true;
    }
  }
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  if (dot <= slash) return false;
  return ASSET_EXTENSIONS.has(path.slice(dot + 1).toLowerCase());
}

/** Prefetch/prerender/RSC requests: the user has not (yet) seen this page. */
export function isPrefetch(ctx: RequestContext, search: string): boolean {
  const h = ctx.headers;
  const purpose = h['sec-purpose'] ?? h.purpose ?? h['x-purpose'] ?? h['x-moz'];
  if (purpose !== undefined) {
    const p = purpose.toLowerCase();
    if (p.includes('prefetch') || p.includes('prerender') || p.includes('preview')) return true;
  }
  if (h['next-router-prefetch'] !== undefined || h['next-router-segment-prefetch'] !== undefined || h.rsc !== undefined) return true;
  return search.length > 1 && (search.startsWith('?_rsc=') || search.includes('&_rsc='));
}

/** Fetch destinations that show a page to a person. */
const PAGE_DESTINATIONS: ReadonlySet<string> = new Set(['document', 'iframe', 'frame']);

/**
 * Request-only page-view rules, run in `begin()` so bots, assets and prefetches never get a
 * cookie. Returns the skip reason, or undefined when the request may be a page view.
 * `skip(ctx)` is applied separately because it may be async.
 */
export function requestSkipReason(ctx: RequestContext, facts: RequestFacts, config: ResolvedConfig): SkipReason | undefined {
  const reason = requestKindSkipReason(ctx, facts.path, facts.search, config);
  if (reason !== undefined) return reason;
  // No browser sends a request without a valid Host: without one there is no page URL, and a
  // page named "0" would be all Mapp could record.
  if (facts.host === '') return 'no-host';
  if (config.include !== undefined || config.exclude !== undefined) {
    const pathAndQuery = facts.path + facts.search;
    if (config.exclude?.(pathAndQuery, facts.pageUrl, facts.path) === true) return 'excluded';
    if (config.include !== undefined && !config.include(pathAndQuery, facts.pageUrl, facts.path)) return 'not-included';
  }
  return undefined;
}

/**
 * The rules of {@link requestSkipReason} that need only the method, headers, path and query
 * (not the client address or the public host): method, prefetch, static asset, fetch
 * destination, bot. A recorded request checks them before deriving its facts.
 */
export function requestKindSkipReason(ctx: RequestContext, path: string, search: string, config: ResolvedConfig): SkipReason | undefined {
  if (ctx.method !== 'GET') return 'method';
  if (isPrefetch(ctx, search)) return 'prefetch';
  if (config.ignoreStaticAssets && isStaticAsset(path)) return 'asset';
  const dest = ctx.headers['sec-fetch-dest'];
  // fetch()/XHR, images, scripts...: the browser itself says this is no page.
  if (dest !== undefined && !PAGE_DESTINATIONS.has(dest.toLowerCase())) return 'content-type';
  let bot: boolean;
  try {
    bot = config.isBot(ctx.headers['user-agent'] ?? '');
  } catch {
    bot = false;
  }
  if (bot) return 'bot';
  return undefined;
}

/** `true` for HTML content types (`text/html`, `application/xhtml+xml`). */
export function isHtml(contentType: string): boolean {
  const lower = contentType.toLowerCase();
  return lower.startsWith('text/html') || lower.startsWith('application/xhtml+xml');
}

/** The request asks for a document to show: a navigation, or `Accept: text/html`. */
function asksForDocument(ctx: RequestContext): boolean {
  const h = ctx.headers;
  if (h['sec-fetch-dest'] === 'document' || h['sec-fetch-mode'] === 'navigate') return true;
  const accept = h.accept;
  return accept !== undefined && (accept.includes('text/html') || accept.includes('application/xhtml+xml'));
}

/**
 * Response rules, run in `end()`: 2xx and HTML. When the adapter cannot know the response
 * yet (Next middleware runs before rendering), the request must ask for a document:
 * `Accept: text/html` or `Sec-Fetch-Dest: document` / `Sec-Fetch-Mode: navigate`.
 *
 * A `304 Not Modified` to a document request is a page view too: the browser revalidated
 * its cached copy (reload, back/forward) and shows the page again, which the Smart Pixel
 * would count. Servers strip the content type from a 304, so the request decides.
 */
export function responseSkipReason(ctx: RequestContext): SkipReason | undefined {
  if (ctx.status === 304) {
    if (ctx.contentType !== undefined && !isHtml(ctx.contentType)) return 'content-type';
    return asksForDocument(ctx) ? undefined : 'status';
  }
  if (ctx.status !== undefined && (ctx.status < 200 || ctx.status > 299)) return 'status';
  if (ctx.contentType !== undefined) return isHtml(ctx.contentType) ? undefined : 'content-type';
  // A known status without a content type (204, a bodiless redirect...) is no page.
  if (ctx.status !== undefined) return 'content-type';
  return asksForDocument(ctx) ? undefined : 'content-type';
}

/**
 * Response rules for a recorded request (an access-log line, `trackRecordedPageView`): 2xx or
 * `304 Not Modified`, and HTML when the record holds a content type. Without one the request
 * rules decided it already (a GET of a path that is no static asset); the `Accept` header that
 * confirms a 304 to a live request is not in a log, so a logged 304 counts as the page shown again.
 */
export function recordedResponseSkipReason(ctx: RequestContext): SkipReason | undefined {
  const status = ctx.status;
  if (status === 304) return undefined;
  if (status === undefined || status < 200 || status > 299) return 'status';
  if (ctx.contentType !== undefined && ctx.contentType !== '' && !isHtml(ctx.contentType)) return 'content-type';
  return undefined;
}
