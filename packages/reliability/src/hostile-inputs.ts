import fc from 'fast-check';

/** Bytes that cannot appear in a request target or a header line at all (they end it). */
const LINE_BREAKERS = new Set([0x0a, 0x0d]);

/** Pieces that break naive decoders, path normalisers and parameter splitters. */
const TRICKY = [
  '%', '%%', '%zz', '%E0%A4%A', '%C0%AF', '%FF', '%ED%A0%80', '%00', '%0D%0A', '%2e%2e', '%2F', '%252e', '..', '/', '//', '\\',
  '?', '&', '=', ';', ',', '#', '+', '"', "'", '<script>', '\u0000', '\u2028', 'Ä', '😀', 'p=600,x', '&X-WT-IP=198.51.100.66', '&eid=1',
];

/** Invalid UTF-8 sequences (lone continuation bytes, overlong forms, surrogates, truncated). */
export const INVALID_UTF8: readonly Buffer[] = [
  Buffer.from([0x80]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
  Buffer.from([0xe0, 0xa4]), Buffer.from([0xff, 0xfe]), Buffer.from([0xc3]),
];

const piece = fc.oneof(
  fc.constantFrom(...TRICKY).map((text) => Buffer.from(text, 'utf8')),
  fc.constantFrom(...INVALID_UTF8),
  fc.uint8Array({ minLength: 1, maxLength: 4 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ maxLength: 8 }).map((text) => Buffer.from(text, 'utf8')),
);

/** Arbitrary hostile bytes without CR/LF (`allowSpace: false` also drops spaces and controls, for request targets). */
export function hostileBytes(options: { maxPieces?: number; allowSpace?: boolean } = {}): fc.Arbitrary<Buffer> {
  const { maxPieces = 10, allowSpace = true } = options;
  return fc.array(piece, { maxLength: maxPieces }).map((pieces) => {
    const bytes = Buffer.concat(pieces);
    return Buffer.from([...bytes].filter((b) => !LINE_BREAKERS.has(b) && (allowSpace || b > 0x20)));
  });
}

/** Header names worth fuzzing: everything the tracker reads, plus junk names. Forwarding headers are fuzzed separately. */
const HEADER_NAMES = [
  'User-Agent', 'Referer', 'Accept', 'Accept-Language', 'Sec-CH-UA', 'Sec-CH-UA-Mobile', 'Sec-CH-UA-Platform', 'Sec-CH-UA-Model',
  'Sec-CH-UA-Full-Version-List', 'Sec-CH-UA-Platform-Version', 'Sec-Fetch-Dest', 'Sec-Fetch-Mode', 'Sec-Purpose', 'Purpose', 'DNT', 'Sec-GPC',
  'X-WT-IP', 'X-WT-UA', 'Content-Type', 'X-Custom',
];

/** One fuzzed header line (`Name: value` bytes). */
export const hostileHeader: fc.Arbitrary<Buffer> = fc
  .tuple(fc.oneof(fc.constantFrom(...HEADER_NAMES), fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/)), hostileBytes({ maxPieces: 8 }))
  .filter(([name]) => !/^(host|content-length|transfer-encoding|connection|x-forwarded-.*|forwarded|x-real-ip|cookie|expect|upgrade)$/i.test(name))
  .map(([name, value]) => Buffer.concat([Buffer.from(`${name}: `, 'latin1'), value]));

const COOKIE_NAMES = ['wtstp_eid', 'wteid_123451234512345', 'wt3_eid', 'webtrekkOptOut', 'miCookieOptOut', 'session', 'connect.sid', 'wtstp_t', 'a b', '=', ''];

/** A fuzzed `Cookie:` header: visitor-id, opt-out and session cookies with hostile names, values and separators. */
export const hostileCookie: fc.Arbitrary<Buffer> = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...COOKIE_NAMES), fc.string({ maxLength: 6 })), hostileBytes({ maxPieces: 5 }), fc.constantFrom('; ', ';', ', ', ';;')), { minLength: 1, maxLength: 5 })
  .map((pairs) => {
    const parts: Buffer[] = [Buffer.from('Cookie: ', 'latin1')];
    for (const [name, value, separator] of pairs) parts.push(Buffer.from(`${name.replace(/[\r\n]/g, '')}=`, 'utf8'), value, Buffer.from(separator, 'latin1'));
    return Buffer.concat(parts);
  });

/** Addresses of a forwarding chain: attacker-chosen values, real clients, trusted hops and junk. */
const hop = fc.oneof(
  fc.integer({ min: 1, max: 254 }).map((n) => `198.51.100.${n}`), // what a spoofer writes
  fc.integer({ min: 1, max: 254 }).map((n) => `203.0.113.${n}`), // a real client appended by a proxy
  fc.integer({ min: 1, max: 254 }).map((n) => `127.0.0.${n}`), // a trusted (loopback) hop
  fc.constantFrom('::1', '2001:db8::7', '[2001:db8::8]:4711', '203.0.113.9:8080', 'unknown', '_hidden', '', ' ', 'not-an-ip', '300.1.1.1', '198.51.100.1 198.51.100.2', '::ffff:198.51.100.3'),
);

/** One RFC 7239 `Forwarded` element naming `address` (quoted when it needs to be). */
function forwardedElement(address: string): string {
  return `for=${/[:[\]]/.test(address) ? `"${address}"` : address};proto=http`;
}

/** A spoofed forwarding header: `X-Forwarded-For` or RFC 7239 `Forwarded` (one element per hop). */
export const spoofedForwarding: fc.Arbitrary<{ kind: 'x-forwarded-for' | 'forwarded'; hops: string[]; value: string }> = fc
  .tuple(fc.constantFrom<'x-forwarded-for' | 'forwarded'>('x-forwarded-for', 'forwarded'), fc.array(hop, { minLength: 1, maxLength: 5 }), fc.constantFrom(', ', ','))
  .map(([kind, hops, separator]) => ({
    kind,
    hops,
    value: kind === 'x-forwarded-for' ? hops.join(separator) : hops.map(forwardedElement).join(separator),
  }));

/**
 * Both kinds at once, as a client adds the kind its proxy does not write: chains that end in the
 * same hops (one may be longer on the left) or two unrelated chains.
 */
export const spoofedForwardingPair: fc.Arbitrary<{ xForwardedFor: string; forwarded: string }> = fc.oneof(
  fc.tuple(fc.array(hop, { minLength: 1, maxLength: 4 }), fc.array(hop, { maxLength: 2 }), fc.boolean()).map(([shared, extra, xffLonger]) => ({
    xForwardedFor: (xffLonger ? [...extra, ...shared] : shared).join(', '),
    forwarded: (xffLonger ? shared : [...extra, ...shared]).map(forwardedElement).join(', '),
  })),
  fc.tuple(fc.array(hop, { minLength: 1, maxLength: 4 }), fc.array(hop, { minLength: 1, maxLength: 4 })).map(([xff, forwarded]) => ({
    xForwardedFor: xff.join(','),
    forwarded: forwarded.map(forwardedElement).join(','),
  })),
);
