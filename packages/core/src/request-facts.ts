import { anonymizeAddress, formatIp, parseIp, type Address } from './ip.js';
import type { ResolvedConfig } from './options.js';
import type { RequestContext } from './types.js';

/** What the core derives from a `RequestContext` with the resolved configuration. */
export interface RequestFacts {
  /** Public scheme: the connection's, or `X-Forwarded-Proto` from a trusted proxy. */
  scheme: string;
  /** Public `host[:port]` as received (the Host header, or `X-Forwarded-Host` from a trusted proxy). */
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

/** Splits an absolute URL without normalising it (the WHATWG parser would re-encode the path). */
export function splitUrl(url: string): { scheme: string; host: string; path: string; search: string } {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd <= 0) {
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

/** First comma-separated item of a header, trimmed (the client-side end of a proxy chain). */
function firstItem(value: string): string {
  const comma = value.indexOf(',');
  return (comma === -1 ? value : value.slice(0, comma)).trim();
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

/** Parses RFC 7239 `Forwarded` into its elements' parameters (quoted commas respected). */
export function parseForwarded(value: string): Array<Record<string, string>> {
  const elements: Array<Record<string, string>> = [];
  let current: Record<string, string> = {};
  let token = '';
  let quoted = false;
  const flushPair = (): void => {
    const eq = token.indexOf('=');
    if (eq > 0) {
      const key = token.slice(0, eq).trim().toLowerCase();
      if (current[key] === undefined) current[key] = token.slice(eq + 1).trim();
    }
    token = '';
  };
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === ';') flushPair();
    else if (!quoted && ch === ',') {
      flushPair();
      elements.push(current);
      current = {};
    } else token += ch;
  }
  flushPair();
  elements.push(current);
  return elements;
}

/** The chain of forwarded client addresses, left (client) to right (nearest proxy). */
function forwardedChain(headers: Readonly<Record<string, string>>): string[] {
  // X-Forwarded-For wins when both exist: nearly every proxy and CDN appends to it, so a
  // client-supplied `Forwarded` passed through such a proxy cannot choose the address.
  const xff = headers['x-forwarded-for'];
  if (xff !== undefined) return xff.split(',');
  const forwarded = headers.forwarded;
  if (forwarded !== undefined) return parseForwarded(forwarded).map((element) => element.for ?? '');
  return [];
}

/**
 * The client address: the right-most hop that is not a trusted proxy. Walking stops at
 * the first entry that is not a valid IP, returning the last verified hop, so header junk
 * never becomes an address.
 */
export function resolveClientAddress(ctx: RequestContext, config: ResolvedConfig): Address | undefined {
  const peer = ctx.remoteAddress === undefined ? undefined : parseIp(ctx.remoteAddress);
  return clientAddressFrom(ctx, config, peer);
}

/** `resolveClientAddress` with the peer already parsed. */
function clientAddressFrom(ctx: RequestContext, config: ResolvedConfig, peer: Address | undefined): Address | undefined {
  if (!config.trustsAnyProxy || !config.trustProxy(peer, 0)) return peer;
  for (const name of config.clientIpHeaders) {
    const value = ctx.headers[name];
    if (value === undefined) continue;
    const address = parseIp(stripPort(value));
    if (address !== undefined) return address;
  }
  const chain = forwardedChain(ctx.headers);
  let current = peer;
  for (let i = chain.length - 1, hop = 1; i >= 0; i--, hop++) {
    const address = parseIp(stripPort(chain[i] as string));
    if (address === undefined) return current;
    current = address;
    if (!config.trustProxy(address, hop)) return address;
  }
  return current;
}

/** Derives public scheme, host, page URL and the client IP to send. */
export function requestFacts(ctx: RequestContext, config: ResolvedConfig): RequestFacts {
  const parts = splitUrl(ctx.url);
  let scheme = parts.scheme === 'https' ? 'https' : 'http';
  let host = parts.host.toLowerCase();
  let address: Address | undefined;
  const peer = ctx.remoteAddress === undefined ? undefined : parseIp(ctx.remoteAddress);
  if (config.trustsAnyProxy && config.trustProxy(peer, 0)) {
    const headers = ctx.headers;
    let proto = headers['x-forwarded-proto'];
    let forwardedHost = headers['x-forwarded-host'];
    if ((proto === undefined || forwardedHost === undefined) && headers.forwarded !== undefined) {
      const first = parseForwarded(headers.forwarded)[0];
      proto ??= first?.proto?.replace(/"/g, '');
      forwardedHost ??= first?.host?.replace(/"/g, '');
    }
    if (proto !== undefined) {
      const p = firstItem(proto).toLowerCase();
      if (p === 'https' || p === 'http') scheme = p;
    }
    if (forwardedHost !== undefined) {
      const h = firstItem(forwardedHost).toLowerCase();
      if (h.length <= 260 && VALID_HOST.test(h)) host = h;
    }
    address = clientAddressFrom(ctx, config, peer);
  } else {
    address = peer;
  }
  if (!VALID_HOST.test(host)) host = '';
  let ip: string | undefined;
  if (address !== undefined && config.sendIp) ip = formatIp(config.anonymizeIp ? anonymizeAddress(address) : address);
  // Without a host there is no meaningful page URL (the page name becomes `0`).
  const pageUrl = host === '' ? '' : `${scheme}://${host}${parts.path}${parts.search}`;
  return { scheme, host, path: parts.path, search: parts.search, pageUrl, ip };
}
