import { anonymizeAddress, formatIp, parseIp, sameAddress, type Address, type TrustPredicate } from './ip.js';
import type { ResolvedConfig } from './options.js';
import type { ProxyHeaders, RequestContext } from './types.js';

/** What the core derives from a `RequestContext` with the resolved configuration. */
export interface RequestFacts {
  /** Public scheme: the connection's, or the trusted hop's (`X-Forwarded-Proto` / `Forwarded proto=`). */
  scheme: string;
  /** Public `host[:port]`: the Host header, or the trusted hop's (`X-Forwarded-Host` / `Forwarded host=`). */
  host: string;
  /** Path as received (not decoded), `/` when empty. */
  path: string;
  /** Query including `?`, or `''`. */
  search: string;
  /** The page URL as received with the public scheme and host, fragment dropped; `''` without a host. */
  pageUrl: string;
  /** Client IP to send (after trust, normalisation and anonymisation), or undefined. */
  ip: string | undefined;
}

/** A host header value we accept: host name, IPv4 or bracketed IPv6, optional port. */
const VALID_HOST = /^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** `true` for a syntactically valid `Host` value: a name, IPv4 or bracketed IPv6, optional port. @internal */
export function isValidHostHeader(host: string): boolean {
  return VALID_HOST.test(host);
}

/**
 * A character that cannot be in a `Host` value without changing what a URL built from it
 * says: it would end the host and start the path, query or fragment (`/ ? # \\`), turn the
 * host into userinfo (`@`), or is a space or control character.
 */
const HOST_BREAKER = /[\x00-\x20\x7f\\/?#@]/;

/**
 * The URL of a request as received: `scheme://host` and the target's path and query. A
 * request without a usable `Host` (HTTP/1.0 without one, an empty one, or one carrying a
 * path, query, fragment or userinfo such as `a.example/admin?x=`) gives the path and query
 * alone: the core then has no host, and such a request is never a page view (`no-host`).
 * Pasting a forged `Host` into the URL would let its `/…?…` become the page's path.
 * @internal
 */
export function receivedUrl(scheme: string, host: string | undefined, path: string): string {
  const target = path.charCodeAt(0) === 47 /* / */ ? path : `/${path}`;
  if (host === undefined || host === '' || HOST_BREAKER.test(host)) return target;
  return `${scheme}://${host}${target}`;
}

/** Splits an absolute URL without normalising it (the WHATWG parser would re-encode the path). */
export function splitUrl(url: string): { scheme: string; host: string; path: string; search: string } {
  const schemeEnd = url.indexOf('://');
  // `/x://y` is a path (a request without a usable Host), never a scheme and a host.
  if (schemeEnd <= 0 || url.charCodeAt(0) === 47 /* / */) {
    // A bare path: the adapter could not tell the host.
    const hash = url.indexOf('#');
    const clean = hash === -1 ? url : url.slice(0, hash);
    const q = clean.indexOf('?');
    const path = q === -1 ? clean : clean.slice(0, q);
    return { scheme: 'http', host: '', path: path === '' ? '/' : path, search: q === -1 ? '' : clean.slice(q) };
  }
  const scheme = url.slice(0, schemeEnd).toLowerCase();
  let i = schemeEnd + 3;
  const hostStart = i;
  while (i < url.length) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
    i++;
  }
  let host = url.slice(hostStart, i);
  const at = host.lastIndexOf('@');
  if (at !== -1) host = host.slice(at + 1); // never let userinfo leak into page names
  let end = url.indexOf('#', i);
  if (end === -1) end = url.length;
  const q = url.indexOf('?', i);
  const pathEnd = q === -1 || q > end ? end : q;
  const path = url.slice(i, pathEnd);
  return { scheme, host, path: path === '' ? '/' : path, search: pathEnd < end ? url.slice(pathEnd, end) : '' };
}

/** A `.` segment, plain or percent-encoded, as the WHATWG URL parser recognises it. */
function isSingleDot(segment: string): boolean {
  return segment === '.' || segment.toLowerCase() === '%2e';
}

/** A `..` segment, plain or percent-encoded, as the WHATWG URL parser recognises it. */
function isDoubleDot(segment: string): boolean {
  if (segment === '..') return true;
  const lower = segment.toLowerCase();
  return lower === '.%2e' || lower === '%2e.' || lower === '%2e%2e';
}

/**
 * The path as a browser (and the WHATWG `URL` parser, which Mapp's official Node library builds
 * its page names and `pu` with) resolves it: `\` is `/`, and `.`/`..` segments (also written
 * `%2e`) are removed. Browsers only ever send resolved paths; other clients may not, and the
 * same page must get the same name. A path without any of these is returned as it is.
 */
export function resolvePath(path: string): string {
  if (path.indexOf('\\') === -1 && path.indexOf('/.') === -1 && !(path.indexOf('%2') !== -1 && /%2e/i.test(path))) return path;
  const slashed = path.replace(/\\/g, '/');
  // Only a path that starts at the root has segments to resolve (`*`, a bare name: as they are).
  if (slashed.charCodeAt(0) !== 47 /* / */) return path;
  const segments = slashed.split('/');
  const out: string[] = [];
  // segments[0] is what precedes the leading `/` (empty for an absolute path).
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] as string;
    const last = i === segments.length - 1;
    if (isDoubleDot(segment)) {
      out.pop();
      if (last) out.push('');
    } else if (isSingleDot(segment)) {
      if (last) out.push('');
    } else {
      out.push(segment);
    }
  }
  return `/${out.join('/')}`;
}

/** A host in ASCII: an internationalised name (`bücher.example`) in its punycode form, as `URL` writes it. */
function asciiHost(host: string): string {
  // Only a name with non-ASCII letters; never one `URL` would cut at a `\`, `/`, `?`, `#`, `@` or `%`.
  if (!/[^\x00-\x7f]/.test(host) || /[\\/?#@%\s]/.test(host)) return host;
  try {
    return new URL(`http://${host}`).host;
  } catch {
    return host;
  }
}

/** Strips a port and IPv6 brackets from a forwarded node (`1.2.3.4:80`, `[::1]:80`). */
function stripPort(node: string): string {
  let text = node.trim();
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) text = text.slice(1, -1);
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    return close === -1 ? '' : text.slice(1, close);
  }
  const colon = text.indexOf(':');
  if (colon !== -1 && colon === text.lastIndexOf(':')) return text.slice(0, colon);
  return text;
}

/** A forwarded node (`1.2.3.4`, `"[2001:db8::1]:4711"`) as an address; undefined for `unknown`, `_hidden` and junk. */
function nodeAddress(node: string | undefined): Address | undefined {
  return node === undefined ? undefined : parseIp(stripPort(node));
}

/** The parameters of one RFC 7239 `Forwarded` element that the core reads, unquoted. */
export interface ForwardedElement {
  for: string | undefined;
  proto: string | undefined;
  host: string | undefined;
}

/** A parameter value without its quotes and `\` escapes (RFC 7230 quoted-string). */
function unquote(raw: string): string {
  if (raw.length < 2 || raw.charCodeAt(0) !== 34 || raw.charCodeAt(raw.length - 1) !== 34) return raw;
  const inner = raw.slice(1, -1);
  return inner.includes('\\') ? inner.replace(/\\(.)/g, '$1') : inner;
}

/**
 * Parses RFC 7239 `Forwarded` into its elements, left (client side) to right (nearest proxy),
 * keeping `for`, `proto` and `host` (names in any case, values unquoted; the first of a
 * repeated name wins). Commas and semicolons inside quotes do not split. Returns undefined
 * when a quote never closes: the client's part comes first, and an open quote would
 * otherwise swallow the element the proxy appended after it.
 */
export function parseForwarded(value: string): ForwardedElement[] | undefined {
  const elements: ForwardedElement[] = [];
  let element: ForwardedElement = { for: undefined, proto: undefined, host: undefined };
  let pairStart = 0;
  let eq = -1;
  let quoted = false;
  for (let i = 0; i <= value.length; i++) {
    const c = i === value.length ? 44 /* , */ : value.charCodeAt(i);
    if (quoted) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) quoted = false;
      continue;
    }
    if (c === 34) quoted = true;
    else if (c === 61 /* = */ && eq === -1) eq = i;
    else if (c === 59 /* ; */ || c === 44 /* , */) {
      if (eq > pairStart) {
        const name = value.slice(pairStart, eq).trim().toLowerCase();
        if ((name === 'for' || name === 'proto' || name === 'host') && element[name] === undefined) {
          element[name] = unquote(value.slice(eq + 1, i).trim());
        }
      }
      pairStart = i + 1;
      eq = -1;
      if (c === 44) {
        elements.push(element);
        element = { for: undefined, proto: undefined, host: undefined };
      }
    }
  }
  return quoted ? undefined : elements;
}

/** What a trusted peer's forwarding headers say. */
interface ProxyFacts {
  /** The client: the first untrusted address from the right, or the last verified hop at junk. */
  address: Address | undefined;
  /**
   * How many right-most entries trusted hops wrote (1 = the one our peer appended). The
   * entry at this depth named the client; only entries up to it may give scheme and host.
   */
  depth: number;
  /** Scheme from the same trusted hop, if it gave a valid one. */
  scheme: string | undefined;
  /** Host from the same trusted hop, if it gave a valid one. */
  host: string | undefined;
}

/**
 * Walks `X-Forwarded-For` from the right through trusted hops without splitting it: hop
 * `depth` is the `depth`-th entry from the right, the peer being hop 0. Linear in the header.
 */
function walkList(value: string, peer: Address | undefined, trust: TrustPredicate): ProxyFacts {
  const facts: ProxyFacts = { address: peer, depth: 0, scheme: undefined, host: undefined };
  let end = value.length;
  for (;;) {
    const comma = end === 0 ? -1 : value.lastIndexOf(',', end - 1);
    facts.depth++;
    const address = parseIp(stripPort(value.slice(comma + 1, end)));
    if (address === undefined) return facts;
    facts.address = address;
    if (!trust(address, facts.depth) || comma === -1) return facts;
    end = comma;
  }
}

/** The same walk over `Forwarded` elements (`for=`). */
function walkElements(elements: readonly ForwardedElement[], peer: Address | undefined, trust: TrustPredicate): ProxyFacts {
  const facts: ProxyFacts = { address: peer, depth: 0, scheme: undefined, host: undefined };
  for (let depth = 1; depth <= elements.length; depth++) {
    facts.depth = depth;
    const address = nodeAddress(elements[elements.length - depth]?.for);
    if (address === undefined) return facts;
    facts.address = address;
    if (!trust(address, depth)) return facts;
  }
  return facts;
}

/**
 * `proxyHeaders: 'auto'` with both kinds present: the trusted proxy wrote one of them, the
 * client may have written the other, and nothing tells which. Walks both in step and stops
 * where they name different hops (or one ends), so the result is never further left than
 * the walk through the header the proxy really wrote.
 */
function walkBoth(xff: string, elements: readonly ForwardedElement[], peer: Address | undefined, trust: TrustPredicate): ProxyFacts {
  const facts: ProxyFacts = { address: peer, depth: 0, scheme: undefined, host: undefined };
  let end = xff.length;
  for (let depth = 1; depth <= elements.length && end >= 0; depth++) {
    const comma = end === 0 ? -1 : xff.lastIndexOf(',', end - 1);
    const a = parseIp(stripPort(xff.slice(comma + 1, end)));
    const b = nodeAddress(elements[elements.length - depth]?.for);
    if (a === undefined || b === undefined || !sameAddress(a, b)) return facts;
    facts.address = a;
    facts.depth = depth;
    if (!trust(a, depth)) return facts;
    end = comma; // -1 after the left-most entry: the loop ends there
  }
  return facts;
}

function validProto(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const proto = raw.trim().toLowerCase();
  return proto === 'https' || proto === 'http' ? proto : undefined;
}

function validHost(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const host = raw.trim().toLowerCase();
  return host.length <= 260 && VALID_HOST.test(host) ? host : undefined;
}

/**
 * `proto`/`host` from `Forwarded`: from the element that named the client, else from the
 * nearest element after it that has a valid one. Each of them was written by a trusted hop.
 */
function forwardedParam(elements: readonly ForwardedElement[], depth: number, name: 'proto' | 'host'): string | undefined {
  for (let d = depth; d >= 1; d--) {
    const raw = elements[elements.length - d]?.[name];
    const valid = name === 'proto' ? validProto(raw) : validHost(raw);
    if (valid !== undefined) return valid;
  }
  return undefined;
}

/** Number of comma-separated items of `value`. */
function countItems(value: string): number {
  let count = 1;
  for (let i = value.indexOf(','); i !== -1; i = value.indexOf(',', i + 1)) count++;
  return count;
}

/**
 * `X-Forwarded-Proto`/`-Host`: a list when proxies append. With as many items as the
 * `X-Forwarded-For` chain, the item of the hop that named the client; otherwise the
 * right-most (the nearest proxy's), never a left one a client could have sent.
 */
function listParam(value: string | undefined, xff: string | undefined, depth: number, validate: (raw: string | undefined) => string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.indexOf(',') === -1) return validate(value);
  let fromRight = xff !== undefined && depth > 1 && countItems(value) === countItems(xff) ? depth : 1;
  let end = value.length;
  while (--fromRight > 0) end = value.lastIndexOf(',', end - 1);
  return validate(value.slice(value.lastIndexOf(',', end - 1) + 1, end));
}

const MALFORMED: readonly ForwardedElement[] = [{ for: undefined, proto: undefined, host: undefined }];

/**
 * Reads the forwarding headers of a request whose peer is trusted, as `proxyHeaders` says
 * (see `TrackerOptions.proxyHeaders` for why 'auto' cannot be spoofed with the other kind).
 */
function proxyFacts(headers: Readonly<Record<string, string>>, mode: ProxyHeaders, peer: Address | undefined, trust: TrustPredicate): ProxyFacts {
  const forwarded = mode === 'x-forwarded' ? undefined : headers.forwarded;
  const xff = mode === 'forwarded' ? undefined : headers['x-forwarded-for'];
  if (forwarded === undefined && mode !== 'forwarded') {
    const facts = xff === undefined ? { address: peer, depth: 0, scheme: undefined, host: undefined } : walkList(xff, peer, trust);
    facts.scheme = listParam(headers['x-forwarded-proto'], xff, facts.depth, validProto);
    facts.host = listParam(headers['x-forwarded-host'], xff, facts.depth, validHost);
    return facts;
  }
  // A malformed header counts as one junk entry: the walk stops at the peer.
  const elements = forwarded === undefined ? [] : (parseForwarded(forwarded) ?? MALFORMED);
  if (xff === undefined) {
    const facts = walkElements(elements, peer, trust);
    facts.scheme = forwardedParam(elements, facts.depth, 'proto');
    facts.host = forwardedParam(elements, facts.depth, 'host');
    return facts;
  }
  // 'auto' with both kinds: the IP as far as both chains agree; scheme and host only where both kinds say the same.
  const facts = walkBoth(xff, elements, peer, trust);
  const scheme = forwardedParam(elements, facts.depth, 'proto');
  const host = forwardedParam(elements, facts.depth, 'host');
  if (scheme !== undefined && scheme === listParam(headers['x-forwarded-proto'], xff, facts.depth, validProto)) facts.scheme = scheme;
  if (host !== undefined && host === listParam(headers['x-forwarded-host'], xff, facts.depth, validHost)) facts.host = host;
  return facts;
}

/** The first valid address among the configured vendor headers (`clientIpHeaders`), if any. */
function vendorAddress(ctx: RequestContext, config: ResolvedConfig): Address | undefined {
  for (const name of config.clientIpHeaders) {
    const value = ctx.headers[name];
    if (value === undefined) continue;
    const address = parseIp(stripPort(value));
    if (address !== undefined) return address;
  }
  return undefined;
}

/**
 * The client address: the TCP peer, or, when the peer is a trusted proxy, a configured
 * vendor header or the right-most untrusted hop of the forwarding chain. Walking stops at
 * the first entry that is not a valid IP, returning the last verified hop, so header junk
 * never becomes an address.
 */
export function resolveClientAddress(ctx: RequestContext, config: ResolvedConfig): Address | undefined {
  const peer = ctx.remoteAddress === undefined ? undefined : parseIp(ctx.remoteAddress);
  if (!config.trustsAnyProxy || !config.trustProxy(peer, 0)) return peer;
  return vendorAddress(ctx, config) ?? proxyFacts(ctx.headers, config.proxyHeaders, peer, config.trustProxy).address;
}

/**
 * Derives public scheme, host, page URL and the client IP to send. Without a trusted peer
 * (the default) no forwarding header is parsed at all: scheme and host are the connection's
 * and the `Host` header's, the IP is the peer's. An absolute-form request target
 * (`ctx.absoluteTarget`) never sets them, not even from a trusted peer: proxies such as HAProxy
 * relay a client's absolute-form target unchanged, so its scheme and host may be the client's;
 * a trusted proxy states the public ones in its forwarding headers. `parts` is `splitUrl(ctx.url)` when the
 * caller split it already.
 */
export function requestFacts(ctx: RequestContext, config: ResolvedConfig, parts: ReturnType<typeof splitUrl> = splitUrl(ctx.url)): RequestFacts {
  let scheme = parts.scheme === 'https' ? 'https' : 'http';
  let host = parts.host.toLowerCase();
  let address: Address | undefined;
  const peer = ctx.remoteAddress === undefined ? undefined : parseIp(ctx.remoteAddress);
  if (config.trustsAnyProxy && config.trustProxy(peer, 0)) {
    const facts = proxyFacts(ctx.headers, config.proxyHeaders, peer, config.trustProxy);
    if (facts.scheme !== undefined) scheme = facts.scheme;
    if (facts.host !== undefined) host = facts.host;
    address = vendorAddress(ctx, config) ?? facts.address;
  } else {
    address = peer;
  }
  if (!VALID_HOST.test(host)) {
    host = asciiHost(host);
    if (!VALID_HOST.test(host)) host = '';
  }
  let ip: string | undefined;
  if (address !== undefined && config.sendIp) ip = formatIp(config.anonymizeIp ? anonymizeAddress(address) : address);
  const path = resolvePath(parts.path);
  // Without a host there is no meaningful page URL (the page name becomes `0`).
  const pageUrl = host === '' ? '' : `${scheme}://${host}${path}${parts.search}`;
  return { scheme, host, path, search: parts.search, pageUrl, ip };
}
