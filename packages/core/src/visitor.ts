import { stringifySetCookie } from 'cookie';
import { safeDecode } from './encode.js';
import type { ResolvedCookieOptions } from './options.js';

/** `wteid_<trackId>` per track id, built once rather than on every request. */
const wteidNames = new Map<string, string>();
function wteidName(trackId: string): string {
  let name = wteidNames.get(trackId);
  if (name === undefined) {
    name = `wteid_${trackId}`;
    if (wteidNames.size < 64) wteidNames.set(trackId, name);
  }
  return name;
}

/** Cross-domain handover ids are accepted for 15 minutes (docs/protocol.md §6). */
const HANDOVER_WINDOW_MS = 15 * 60 * 1000;
/** Small allowance for clocks of other servers running ahead of ours. */
const HANDOVER_CLOCK_SKEW_MS = 60 * 1000;

/** `true` for exactly 19 ASCII digits, the only eid shape we accept. */
export function isEid(value: string | undefined): value is string {
  if (value === undefined || value.length !== 19) return false;
  for (let i = 0; i < 19; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Decodes a cookie value; old pixels sometimes stored it encoded twice. */
function decodeCookie(value: string): string {
  const once = safeDecode(value);
  return once.indexOf('%') === -1 ? once : safeDecode(once);
}

/** Finds our segment in `wt3_eid` (`;<trackId>|<eid>#<lastVisit>;...`). */
function eidFromWt3(value: string, trackIds: readonly string[]): string | undefined {
  const decoded = decodeCookie(value);
  for (const trackId of trackIds) {
    const marker = `${trackId}|`;
    let from = 0;
    for (;;) {
      const at = decoded.indexOf(marker, from);
      if (at === -1) break;
      // The id must start a segment, so `1111…|` inside another id never matches.
      if (at === 0 || decoded[at - 1] === ';') {
        const start = at + marker.length;
        let end = start;
        while (end < decoded.length && decoded[end] !== '#' && decoded[end] !== ';') end++;
        const eid = decoded.slice(start, end);
        if (isEid(eid)) return eid;
      }
      from = at + 1;
    }
  }
  return undefined;
}

/**
 * Reads the ever ID from request cookies in the precedence of docs/protocol.md §6: the
 * configured cookie (if custom), `wtstp_eid`, `wteid_<trackId>`, then `wt3_eid`.
 * Values are URL-decoded; anything but 19 digits is ignored.
 */
export function readEid(cookies: Readonly<Record<string, string>>, trackIds: readonly string[], cookieName = 'wtstp_eid'): string | undefined {
  if (cookieName !== 'wtstp_eid' && !cookieName.startsWith('wteid_') && cookieName !== 'wt3_eid') {
    const custom = cookies[cookieName];
    if (custom !== undefined && isEid(decodeCookie(custom))) return decodeCookie(custom);
  }
  const stp = cookies.wtstp_eid;
  if (stp !== undefined) {
    const eid = decodeCookie(stp);
    if (isEid(eid)) return eid;
  }
  for (const trackId of trackIds) {
    const value = cookies[wteidName(trackId)];
    if (value === undefined) continue;
    const eid = decodeCookie(value);
    if (isEid(eid)) return eid;
  }
  const wt3 = cookies.wt3_eid;
  return wt3 === undefined ? undefined : eidFromWt3(wt3, trackIds);
}

/**
 * Reads a cross-domain handover from the landing URL's query (`wtstp_eid` or `wt_eid`
 * with `wtstp_t` or `wt_t`, 13-digit ms): accepted only within 15 minutes.
 */
export function readHandoverEid(search: string, now: number): string | undefined {
  if (search.length < 2 || (search.indexOf('wtstp_eid=') === -1 && search.indexOf('wt_eid=') === -1)) return undefined;
  let eid: string | undefined;
  let time: string | undefined;
  for (const pair of search.slice(1).split('&')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const name = pair.slice(0, eq);
    const value = safeDecode(pair.slice(eq + 1));
    if ((name === 'wtstp_eid' || name === 'wt_eid') && eid === undefined) eid = value;
    else if ((name === 'wtstp_t' || name === 'wt_t') && time === undefined) time = value;
  }
  if (!isEid(eid) || time === undefined || !/^\d{13}$/.test(time)) return undefined;
  const age = now - Number(time);
  return age <= HANDOVER_WINDOW_MS && age >= -HANDOVER_CLOCK_SKEW_MS ? eid : undefined;
}

/** Largest multiple of 10^8 below 2^32: values above it would bias the digits. */
const RANDOM_LIMIT = Math.floor(0x1_0000_0000 / 1e8) * 1e8;
/**
 * Random values are drawn from Web Crypto 256 at a time: one `getRandomValues` call per
 * request (a call into the runtime, with a syscall on some) cost more than the rest of a
 * new visitor's hit. The pool is consumed once and never reused, so every eid still gets
 * fresh CSPRNG output.
 */
const POOL_SIZE = 256;
const pool = new Uint32Array(POOL_SIZE);
let poolNext = POOL_SIZE;

function randomUint32(): number {
  if (poolNext === POOL_SIZE) {
    globalThis.crypto.getRandomValues(pool);
    poolNext = 0;
  }
  const value = pool[poolNext] as number;
  pool[poolNext] = 0;
  poolNext += 1;
  return value;
}

/** Discards what is left of the random pool, so the next eid draws from Web Crypto. @internal (tests) */
export function discardRandomPool(): void {
  pool.fill(0);
  poolNext = POOL_SIZE;
}

/** 8 uniformly random digits from Web Crypto (rejection sampling, no modulo bias). */
function randomDigits(): string {
  for (;;) {
    const value = randomUint32();
    if (value < RANDOM_LIMIT) {
      const digits = String(value % 1e8);
      return digits.length === 8 ? digits : digits.padStart(8, '0');
    }
  }
}

/** The 10-digit seconds part of the last minted eid: one string per second, not per visitor. */
let secondsCache = { second: -1, text: '' };

/**
 * Mints an ever ID in the server-library layout (docs/protocol.md §6): `8` + 10-digit Unix
 * seconds + 8 CSPRNG digits.
 */
export function mintEid(now: number = Date.now()): string {
  const second = Math.floor(now / 1000) % 1e10;
  if (secondsCache.second !== second) secondsCache = { second, text: `8${String(second).padStart(10, '0')}` };
  return secondsCache.text + randomDigits();
}

/**
 * Builds the `Set-Cookie` value that stores `eid`. `secure: 'auto'` sets `Secure` when
 * the page was served over HTTPS; `SameSite=None` always gets `Secure` (browsers reject
 * it otherwise).
 */
export function buildEidCookie(eid: string, options: ResolvedCookieOptions, https: boolean): string {
  let templates = cookieTemplates.get(options);
  if (templates === undefined) {
    templates = [cookieTemplate(options, false), cookieTemplate(options, true)];
    cookieTemplates.set(options, templates);
  }
  // An eid is 19 digits (minted or checked): nothing in it needs encoding.
  const [prefix, suffix] = templates[https ? 1 : 0];
  return isEid(eid) ? prefix + eid + suffix : stringifyCookie(eid, options, https);
}

/** `Set-Cookie` around the value, per cookie settings and scheme: built by `cookie` once. */
const cookieTemplates = new WeakMap<ResolvedCookieOptions, [readonly [string, string], readonly [string, string]]>();
const PLACEHOLDER = '0000000000000000000';

function cookieTemplate(options: ResolvedCookieOptions, https: boolean): readonly [string, string] {
  const text = stringifyCookie(PLACEHOLDER, options, https);
  const at = text.indexOf(`=${PLACEHOLDER}`) + 1;
  return [text.slice(0, at), text.slice(at + PLACEHOLDER.length)];
}

function stringifyCookie(value: string, options: ResolvedCookieOptions, https: boolean): string {
  const secure = options.secure === 'auto' ? https : options.secure;
  const sameSite = options.sameSite === 'Lax' ? 'lax' : options.sameSite === 'Strict' ? 'strict' : 'none';
  return stringifySetCookie(options.name, value, {
    domain: options.domain,
    path: options.path,
    maxAge: options.maxAge,
    secure: secure || sameSite === 'none',
    httpOnly: options.httpOnly,
    sameSite,
  });
}
