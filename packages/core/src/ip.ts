import ipaddr from 'ipaddr.js';
// Named type imports, so the published .d.ts needs no esModuleInterop (ipaddr.js is `export =`).
import type { IPv4, IPv6 } from 'ipaddr.js';

/** A parsed IPv4 or IPv6 address. */
export type Address = IPv4 | IPv6;

/**
 * Decides whether the hop at `index` (0 = our TCP peer, 1 = the address it forwarded, ...)
 * with address `address` is a proxy we trust to tell the truth about the next hop.
 */
export type TrustPredicate = (address: Address | undefined, index: number) => boolean;

/** Named ranges accepted by `trustProxy`, as in Express. */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * Parses one address strictly: dotted-quad IPv4 or IPv6 (zone id dropped), IPv4-mapped
 * IPv6 turned into IPv4. Returns undefined for anything else, including the shorthand
 * IPv4 forms (`127.1`, hex, octal) that `ipaddr.js` would otherwise accept: header junk
 * must never become an address.
 */
export function parseIp(input: string): Address | undefined {
  // The same few addresses (a proxy's, a keep-alive client's) arrive over and over.
  const cached = parsedIps.get(input);
  if (cached !== undefined) return cached ?? undefined;
  const address = parseIpUncached(input);
  if (parsedIps.size >= IP_CACHE_SIZE) parsedIps.clear();
  parsedIps.set(input, address ?? null);
  return address;
}

/**
 * `true` when `text` is an IPv4 or IPv6 address the tracker can send as `X-WT-IP` (what a
 * logged client must be: a host name or `unix:` would leave the hit without one, and Mapp
 * would take the sender's address for the visitor's).
 * @internal
 */
export function isIpAddress(text: string): boolean {
  return parseIp(text) !== undefined;
}

/** Parsed addresses by their text; `null` = not an address. Clearing beats LRU bookkeeping. */
const IP_CACHE_SIZE = 1024;
const parsedIps = new Map<string, Address | null>();
/** Formatted addresses: parsed addresses are cached, so their text is computed once. */
const formattedIps = new WeakMap<Address, string>();

/** An IPv6 zone id as systems name interfaces (`eth0`, `en0`, `25`, `wlp2s0.1`). */
const ZONE_ID = /^[\w.-]{1,32}$/;

function parseIpUncached(input: string): Address | undefined {
  // Hot path: a plain dotted quad, parsed by hand (ipaddr.js's regexes cost microseconds),
  // also as the IPv4-mapped form a dual-stack server sees (`::ffff:203.0.113.9`).
  const octets = parseDottedQuad(input.length > 7 && input.charCodeAt(0) === 58 && input.startsWith('::ffff:') ? input.slice(7) : input);
  if (octets !== undefined) return new ipaddr.IPv4(octets);
  let text = input.trim();
  if (text === '' || text.length > 64) return undefined;
  if (text.includes(':')) {
    // An IPv6 zone (`fe80::1%eth0`) is dropped; one that is no interface name makes the
    // text junk, never an address (`::1%0d%0aX-Evil`).
    const zone = text.indexOf('%');
    if (zone !== -1) {
      if (!ZONE_ID.test(text.slice(zone + 1))) return undefined;
      text = text.slice(0, zone);
    }
    if (!ipaddr.IPv6.isValid(text)) return undefined;
    const v6 = ipaddr.IPv6.parse(text);
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  return ipaddr.IPv4.parse(text);
}

/** Parses `a.b.c.d` (decimal, 0-255, no leading zeros, no spaces) or returns undefined. */
function parseDottedQuad(text: string): number[] | undefined {
  const length = text.length;
  if (length < 7 || length > 15) return undefined;
  const octets: number[] = [];
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= length; i++) {
    const c = i === length ? 46 : text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || value > 255 || octets.length === 4) return undefined;
      octets.push(value);
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return undefined; // leading zero: octal in some parsers
      value = value * 10 + (c - 48);
      if (++digits > 3) return undefined;
    } else return undefined;
  }
  return octets.length === 4 ? octets : undefined;
}

/** Whether two parsed addresses are the same (IPv4-mapped IPv6 is already IPv4 after `parseIp`). */
export function sameAddress(a: Address, b: Address): boolean {
  if (a.kind() !== b.kind()) return false;
  const left = a.kind() === 'ipv4' ? (a as ipaddr.IPv4).octets : (a as ipaddr.IPv6).parts;
  const right = b.kind() === 'ipv4' ? (b as ipaddr.IPv4).octets : (b as ipaddr.IPv6).parts;
  for (let i = 0; i < left.length; i++) if (left[i] !== right[i]) return false;
  return true;
}

/** Canonical text of an address: dotted quad or RFC 5952 IPv6. */
export function formatIp(address: Address): string {
  let text = formattedIps.get(address);
  if (text === undefined) {
    text = address.kind() === 'ipv4' ? (address as ipaddr.IPv4).octets.join('.') : (address as ipaddr.IPv6).toRFC5952String();
    formattedIps.set(address, text);
  }
  return text;
}

/** Cuts IPv4 to /24 and IPv6 to /48 (the host part zeroed), so the IP no longer names one device. */
export function anonymizeAddress(address: Address): Address {
  if (address.kind() === 'ipv4') {
    const [a = 0, b = 0, c = 0] = (address as ipaddr.IPv4).octets;
    return new ipaddr.IPv4([a, b, c, 0]);
  }
  const [a = 0, b = 0, c = 0] = (address as ipaddr.IPv6).parts;
  return new ipaddr.IPv6([a, b, c, 0, 0, 0, 0, 0]);
}

/** Turns one trustProxy list entry into a subnet, or explains why it cannot. */
function parseTrustEntry(entry: string): Array<[Address, number]> | string {
  const text = entry.trim().toLowerCase();
  const named = NAMED_RANGES[text];
  if (named !== undefined) return named.map((cidr) => ipaddr.parseCIDR(cidr));
  const slash = text.indexOf('/');
  const addressPart = slash === -1 ? text : text.slice(0, slash);
  const address = parseIp(addressPart);
  if (address === undefined) return `"${entry}" is not an IP address, a CIDR or one of loopback, linklocal, uniquelocal`;
  const max = address.kind() === 'ipv4' ? 32 : 128;
  let bits = max;
  if (slash !== -1) {
    const bitsText = text.slice(slash + 1);
    bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
    // A mapped IPv6 CIDR (::ffff:10.0.0.0/104) becomes its IPv4 equivalent.
    if (addressPart.includes(':') && address.kind() === 'ipv4') bits -= 96;
    if (!(bits >= 0 && bits <= max)) return `"${entry}" has an invalid prefix length`;
  }
  return [[address, bits]];
}

/**
 * Compiles a `trustProxy` value (already validated to be one of the accepted shapes)
 * into a predicate. Returns an error message for an invalid list entry.
 */
export function compileTrust(value: boolean | number | readonly string[]): TrustPredicate | string {
  if (value === true) return () => true;
  if (value === false) return () => false;
  if (typeof value === 'number') {
    const hops = value;
    return (_address, index) => index < hops;
  }
  const subnets: Array<[Address, number]> = [];
  for (const entry of value) {
    const parsed = parseTrustEntry(entry);
    if (typeof parsed === 'string') return parsed;
    subnets.push(...parsed);
  }
  if (subnets.length === 0) return () => false;
  return (address) => {
    if (address === undefined) return false;
    for (const [subnet, bits] of subnets) {
      if (subnet.kind() === address.kind() && address.match(subnet, bits)) return true;
    }
    return false;
  };
}
