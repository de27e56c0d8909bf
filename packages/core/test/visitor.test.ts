import { describe, expect, it, jest } from '@jest/globals';
import { parseSetCookie } from 'cookie';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import type { TrackerOptions } from '../src/types.js';
import { buildEidCookie, discardRandomPool, isEid, mintEid, readEid, readHandoverEid } from '../src/visitor.js';
import { config, context, parseLine, TRACK_ID } from './helpers.js';

const A = '2138210064900146323';
const B = '4138210064900146323';
const C = '6158627047292181549';
const OTHER = '222222222222222';

describe('ever ID read precedence (docs/protocol.md §6)', () => {
  it.each<[string, Record<string, string>, string | undefined]>([
    ['wtstp_eid', { wtstp_eid: A }, A],
    ['wteid_<trackId>', { [`wteid_${TRACK_ID}`]: B }, B],
    ['wt3_eid (docs/protocol.md example)', { wt3_eid: `;${TRACK_ID}|${C}#2138210027300810268` }, C],
    ['wt3_eid URL-encoded', { wt3_eid: `%3B${TRACK_ID}%7C${C}%232138210027300810268` }, C],
    ['wt3_eid double-encoded', { wt3_eid: `%253B${TRACK_ID}%257C${C}%25232138210027300810268` }, C],
    ['wt3_eid with several track ids', { wt3_eid: `;${OTHER}|${A}#1;${TRACK_ID}|${C}#2` }, C],
    ['wt3_eid without our track id', { wt3_eid: `;${OTHER}|${A}#1` }, undefined],
    ['wtstp_eid beats wteid_ and wt3_eid', { wtstp_eid: A, [`wteid_${TRACK_ID}`]: B, wt3_eid: `;${TRACK_ID}|${C}` }, A],
    ['wteid_ beats wt3_eid', { [`wteid_${TRACK_ID}`]: B, wt3_eid: `;${TRACK_ID}|${C}` }, B],
    ['an invalid wtstp_eid falls through', { wtstp_eid: '123', [`wteid_${TRACK_ID}`]: B }, B],
    ['18 digits are rejected', { wtstp_eid: A.slice(1) }, undefined],
    ['20 digits are rejected', { wtstp_eid: `${A}1` }, undefined],
    ['letters are rejected', { wtstp_eid: `${A.slice(0, 18)}x` }, undefined],
    ['wteid_ of another account is ignored', { [`wteid_${OTHER}`]: B }, undefined],
    ['URL-encoded wtstp_eid', { wtstp_eid: encodeURIComponent(A) }, A],
    ['whitespace is not an id', { wtstp_eid: ` ${A}` }, undefined],
  ])('%s', (_label, cookies, expected) => {
    expect(readEid(cookies, [TRACK_ID])).toBe(expected);
  });

  it('reads a custom cookie name first', () => {
    expect(readEid({ my_eid: B, wtstp_eid: A }, [TRACK_ID], 'my_eid')).toBe(B);
  });

  it('checks every configured track id for wteid_', () => {
    expect(readEid({ [`wteid_${OTHER}`]: B }, [TRACK_ID, OTHER])).toBe(B);
  });
});

describe('cross-domain handover (docs/protocol.md §6)', () => {
  const now = 1_800_000_000_000;
  it.each<[string, string, string | undefined]>([
    ['wtstp_eid + wtstp_t', `?wtstp_eid=${A}&wtstp_t=${now - 60_000}`, A],
    ['wt_eid + wt_t', `?x=1&wt_eid=${B}&wt_t=${now}`, B],
    ['just inside 15 minutes', `?wt_eid=${A}&wt_t=${now - 15 * 60_000}`, A],
    ['older than 15 minutes', `?wt_eid=${A}&wt_t=${now - 15 * 60_000 - 1}`, undefined],
    ['from the future', `?wt_eid=${A}&wt_t=${now + 3_600_000}`, undefined],
    ['without a time', `?wt_eid=${A}`, undefined],
    ['a 10-digit time', `?wt_eid=${A}&wt_t=1800000000`, undefined],
    ['an invalid id', `?wt_eid=123&wt_t=${now}`, undefined],
    ['no query', '', undefined],
  ])('%s', (_label, search, expected) => {
    expect(readHandoverEid(search, now)).toBe(expected);
  });
});

describe('minting (docs/protocol.md §6)', () => {
  it("uses '8' + 10-digit Unix seconds + 8 random digits", () => {
    const eid = mintEid(1_730_181_123_123);
    expect(eid).toMatch(/^81730181123\d{8}$/);
    expect(isEid(eid)).toBe(true);
  });

  it('draws the random part from Web Crypto, 256 values per call', () => {
    discardRandomPool();
    const spy = jest.spyOn(globalThis.crypto, 'getRandomValues');
    for (let i = 0; i < 512; i += 1) mintEid();
    // Rejection sampling may need a few more values than ids: at most one more call.
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(spy.mock.calls.length).toBeLessThanOrEqual(3);
    expect((spy.mock.calls[0]?.[0] as Uint32Array).length).toBe(256);
    spy.mockRestore();
  });

  it('does not repeat across many ids', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => mintEid(0).slice(11)));
    expect(ids.size).toBeGreaterThan(1990);
  });

  it('pads the random part with zeros', () => {
    discardRandomPool();
    const spy = jest.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation((array) => {
      (array as Uint32Array).fill(42);
      return array;
    });
    expect(mintEid(1_000_000_000_000)).toBe('8100000000000000042');
    spy.mockRestore();
    discardRandomPool();
  });
});

describe('Set-Cookie', () => {
  it.each<[string, TrackerOptions['cookie'], boolean, Record<string, unknown>]>([
    ['defaults over HTTPS', undefined, true, { name: 'wtstp_eid', path: '/', maxAge: 15552000, secure: true, httpOnly: undefined, sameSite: 'lax' }],
    ['defaults over HTTP (secure auto)', undefined, false, { secure: undefined }],
    ['custom attributes', { name: `wteid_${TRACK_ID}`, domain: 'example.com', maxAge: 60, httpOnly: true, secure: true, sameSite: 'Strict' }, false, {
      name: `wteid_${TRACK_ID}`, domain: 'example.com', maxAge: 60, httpOnly: true, secure: true, sameSite: 'strict',
    }],
    ['SameSite=None forces Secure', { sameSite: 'None', secure: false }, false, { sameSite: 'none', secure: true }],
  ])('%s', (_label, cookie, https, expected) => {
    const header = buildEidCookie(A, config({ cookie }).cookie, https);
    const parsed = parseSetCookie(header) as unknown as Record<string, unknown>;
    expect(parsed.value).toBe(A);
    for (const [key, value] of Object.entries(expected)) expect([key, parsed[key]]).toEqual([key, value]);
  });
});

describe('begin(): visitor identity', () => {
  const tracker = (options: TrackerOptions = {}) =>
    createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: createMemoryTransport(), ...options });

  it('mints an id, sets a cookie and sends one=1 for a new visitor', async () => {
    const memory = createMemoryTransport();
    const t = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory });
    const ctx = context();
    const visit = await t.begin(ctx);
    expect(visit.isNewVisitor).toBe(true);
    expect(visit.eid).toMatch(/^8\d{18}$/);
    expect(visit.setCookie).toMatch(new RegExp(`^wtstp_eid=${visit.eid}; Max-Age=15552000; Path=/; Secure; SameSite=Lax$`));
    await t.end(ctx, visit);
    const { params } = parseLine(memory.lines[0] ?? '');
    expect(params.get('eid')).toBe(visit.eid);
    expect(params.get('one')).toBe('1');
  });

  it('keeps an existing id without a cookie', async () => {
    const visit = await tracker().begin(context({ cookies: { wtstp_eid: A } }));
    expect(visit).toMatchObject({ eid: A, isNewVisitor: false });
    expect(visit.setCookie).toBeUndefined();
  });

  it('adopts a cross-domain handover id and stores it', async () => {
    const visit = await tracker().begin(context({ url: `https://shop.example.com/?wt_eid=${A}&wt_t=${Date.now()}` }));
    expect(visit.eid).toBe(A);
    expect(visit.isNewVisitor).toBe(false);
    expect(visit.setCookie).toContain(`wtstp_eid=${A}`);
  });

  it('prefers the cookie over a handover id', async () => {
    const visit = await tracker().begin(context({ url: `https://shop.example.com/?wt_eid=${A}&wt_t=${Date.now()}`, cookies: { wtstp_eid: B } }));
    expect(visit.eid).toBe(B);
  });

  it('mints no id and sets no cookie for a bot', async () => {
    const visit = await tracker().begin(context({ headers: { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' } }));
    expect(visit).toMatchObject({ trackable: false, skipReason: 'bot', isNewVisitor: false });
    expect(visit.setCookie).toBeUndefined();
    expect(visit.eid).toBeUndefined();
  });

  it('reads (but never mints) the id of a non-page request such as a POST', async () => {
    const withCookie = await tracker().begin(context({ method: 'POST', cookies: { wtstp_eid: A } }));
    expect(withCookie).toMatchObject({ trackable: false, skipReason: 'method', eid: A });
    expect(withCookie.setCookie).toBeUndefined();
    const without = await tracker().begin(context({ method: 'POST' }));
    expect(without.eid).toBeUndefined();
  });

  it('supplies ceid from customerId(ctx)', async () => {
    const memory = createMemoryTransport();
    const t = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory, customerId: (ctx) => ctx.cookies.uid });
    await t.trackPageView(context({ cookies: { uid: 'XYZ-232-ABC', wtstp_eid: A } }));
    expect(parseLine(memory.lines[0] ?? '').params.get('ceid')).toBe('XYZ-232-ABC');
  });

  it('survives a throwing customerId and reports it', async () => {
    const events: string[] = [];
    const t = tracker({ customerId: () => { throw new Error('boom'); }, onEvent: (event) => events.push(event.type) });
    const visit = await t.begin(context());
    expect(visit.ceid).toBeUndefined();
    expect(visit.eid).toBeDefined();
    expect(events).toEqual(['error']);
  });
});
