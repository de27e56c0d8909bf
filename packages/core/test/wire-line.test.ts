import { describe, expect, it } from '@jest/globals';
import { buildLine, type LineInput } from '../src/hit.js';
import fc from 'fast-check';
import { resolvePath } from '../src/request-facts.js';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import type { HitData, RequestContext, TrackerOptions } from '../src/types.js';
import { SENDER_VERSION } from '../src/version.js';
import { context, parseLine, TRACK_ID } from './helpers.js';

const BASE: LineInput = { pageName: 'home', time: 1730181123123, referrer: '0', anonymous: false };

function line(data: HitData, extra: Partial<LineInput> = {}): string {
  const result = buildLine({ ...BASE, ...extra, data });
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.line;
}

/** Runs one page view through a real tracker with a memory transport; returns the line. */
async function pageLine(ctx: RequestContext, options: TrackerOptions = {}, data?: HitData): Promise<string> {
  const memory = createMemoryTransport();
  const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9700', transport: memory, ...options });
  const result = await tracker.trackPageView(ctx, data);
  if (!result.ok) throw new Error(`not sent: ${JSON.stringify(result)}`);
  return result.line;
}

describe('p parameter (docs/protocol.md §2)', () => {
  it('sends 600,<page name>,,,,,<event ms>,<referrer>,, like the official libraries', () => {
    expect(line({})).toMatch(/^wt\?p=600,home,,,,,1730181123123,0,,&cs801=/);
  });

  it('keeps the commas literal and encodes commas inside a field', () => {
    const { p } = parseLine(line({}, { pageName: 'a,b' }));
    expect(p).toEqual(['600', 'a,b', '', '', '', '', '1730181123123', '0', '', '']);
    expect(line({}, { pageName: 'a,b' })).toContain('p=600,a%2Cb,');
  });

  it('puts the event time (not the send time) in field 7', async () => {
    const time = new Date('2026-01-02T03:04:05.678Z');
    const { p } = parseLine(await pageLine(context(), {}, { time }));
    expect(p[6]).toBe(String(time.getTime()));
  });

  it.each([
    ['no Referer', undefined, {}, '0'],
    ['empty Referer', '', {}, '0'],
    ['the request host', 'https://shop.example.com/cart', {}, '1'],
    ['the request host with the default port', 'https://shop.example.com:443/cart', {}, '1'],
    ['another port of the request host', 'https://shop.example.com:8443/cart', {}, 'https://shop.example.com:8443/cart'],
    ['an external site', 'https://www.google.de/search?q=x', {}, 'https://www.google.de/search?q=x'],
    ['a listed own domain', 'https://blog.example.org/', { domains: ['blog.example.org'] }, '1'],
    ['a wildcard own domain', 'https://a.b.example.org/', { domains: ['*.example.org'] }, '1'],
    ['a regex own domain', 'https://m.example.net/', { domains: [/example\.net$/] }, '1'],
    ['a host not in the list', 'https://shop.example.com/', { domains: ['example.org'] }, 'https://shop.example.com/'],
  ] as const)('field 8 for %s', async (_label, referer, options, expected) => {
    const headers: Record<string, string> = referer === undefined ? {} : { referer };
    const ctx = context({ headers });
    const { p, raw } = parseLine(await pageLine(ctx, options as TrackerOptions));
    expect(p[7]).toBe(expected);
    expect(raw.get('p')?.split(',')[7]).toBe(expected === '0' || expected === '1' ? expected : encodeURIComponent(expected));
  });
});

describe('page name (docs/protocol.md §8)', () => {
  it.each([
    // docs/protocol.md §8
    ['the docs/protocol.md example', 'https://Shop.Example.com/DE/Shoes?sort=price&size=42', ['size'], 'shop.example.com/de/shoes?size=42'],
    ['parameters lower-cased too', 'https://shop.example.com/search?q=Red%20Shoes&Size=XL', ['q', 'Size'], 'shop.example.com/search?q=red shoes&size=xl'],
    ['a repeated parameter: the last value wins', 'https://a.com/x?size=42&size=43', ['size'], 'a.com/x?size=43'],
    ['an empty value is left out', 'https://a.com/x?size=&color=red', ['size', 'color'], 'a.com/x?color=red'],
    // The official libraries' own test vectors (Node Queue.spec.ts, Java MappIntelligenceTrackingQueueTest, PHP MappIntelligenceQueueTestCase)
    ['libraries: default page name', 'https://sub.domain.tld/path/to/page.html', [], 'sub.domain.tld/path/to/page.html'],
    ['libraries: whitelisted params absent', 'https://sub.domain.tld/path/to/page.html', ['aa', 'bb', 'cc'], 'sub.domain.tld/path/to/page.html'],
    ['libraries: whitelisted params present', 'https://sub.domain.tld/path/to/page.html?bb=value%20bb&cc=value%20cc', ['aa', 'bb', 'cc'], 'sub.domain.tld/path/to/page.html?bb=value bb&cc=value cc'],
    // Details, each checked against the libraries' code
    ['no whitelisted params', 'https://Shop.Example.com/DE/Shoes?sort=price&size=42', [], 'shop.example.com/de/shoes'],
    ['params in configured order', 'https://a.com/x?b=2&a=1', ['a', 'b'], 'a.com/x?a=1&b=2'],
    ['a name is matched case-sensitively', 'https://a.com/x?Size=XL', ['size'], 'a.com/x'],
    ['a repeated parameter whose last value is empty', 'https://a.com/x?size=42&size=', ['size'], 'a.com/x'],
    ['a parameter without =', 'https://a.com/x?size&color=red', ['size', 'color'], 'a.com/x?color=red'],
    ['a value 0 is kept (Node, Java)', 'https://a.com/x?page=0', ['page'], 'a.com/x?page=0'],
    ['+ in a value is a space (Java, PHP)', 'https://a.com/s?q=red+shoes', ['q'], 'a.com/s?q=red shoes'],
    ['an encoded parameter name', 'https://a.com/s?my%20param=1', ['my param'], 'a.com/s?my param=1'],
    ['a value with = kept whole', 'https://a.com/s?q=a%3Db=c', ['q'], 'a.com/s?q=a=b=c'],
    ['a value with an encoded & kept whole', 'https://a.com/s?q=a%26b', ['q'], 'a.com/s?q=a&b'],
    ['an encoded ? in the path stays in the name', 'https://a.com/what%3F/x', [], 'a.com/what?/x'],
    ['// in the path stays in the name', 'https://a.com/a//b', [], 'a.com/a//b'],
    ['an encoded param value', 'https://a.com/s?q=Gr%C3%BCn', ['q'], 'a.com/s?q=grün'],
    ['a port', 'http://localhost:3000/Home', [], 'localhost:3000/home'],
    ['the default port dropped', 'https://a.com:443/x', [], 'a.com/x'],
    ['an encoded path', 'https://a.com/%C3%84rger%20x', [], 'a.com/ärger x'],
    ['+ in the path stays (only a query decodes +)', 'https://a.com/a+b', [], 'a.com/a+b'],
    ['invalid percent-encoding', 'https://a.com/%E0%A4%A', [], 'a.com/%e0%a4%a'],
    // Paths as the browser (and the official Node library's WHATWG URL) resolves them
    ['a .. segment resolved', 'https://shop.example.com/a/../caf%C3%A9?size=42', ['size'], 'shop.example.com/café?size=42'],
    ['encoded dot segments resolved', 'https://a.com/x/%2e/y/%2E%2e/z', [], 'a.com/x/z'],
    ['a trailing .. leaves the folder', 'https://a.com/x/y/..', [], 'a.com/x/'],
    ['.. above the root stays at the root', 'https://a.com/../../x', [], 'a.com/x'],
    ['a backslash is a slash', 'https://a.com/a\\b', [], 'a.com/a/b'],
    ['a dot file is no dot segment', 'https://a.com/x/.hidden/..y/.', [], 'a.com/x/.hidden/..y/'],
    ['an internationalised host in punycode', 'https://bücher.example/x', [], 'xn--bcher-kva.example/x'],
  ] as const)('default rule: %s', async (_label, url, pageNameParams, expected) => {
    const { p } = parseLine(await pageLine(context({ url }), { pageNameParams }));
    expect(p[1]).toBe(expected);
  });

  it.each([
    ['no URL at all', {}, '0'],
    ['a page URL', { pageUrl: 'https://Shop.Example.com/DE?size=42' }, 'shop.example.com/de?size=42'],
  ] as const)('track() without a request: %s', async (_label, callOptions, expected) => {
    const memory = createMemoryTransport();
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9700', transport: memory, pageNameParams: ['size'] });
    const result = await tracker.track({ action: { name: 'x' } }, callOptions);
    expect(result.ok && parseLine(result.line).p[1]).toBe(expected);
  });

  it('sends pu and X-WT-RQ with the resolved path', async () => {
    const { params } = parseLine(await pageLine(context({ url: 'https://shop.example.com/a/./b/../c?q=1' })));
    expect(params.get('pu')).toBe('https://shop.example.com/a/c?q=1');
    expect(params.get('X-WT-RQ')).toBe('https://shop.example.com/a/c?q=1');
  });

  it('resolves paths exactly as the WHATWG URL parser does (property)', () => {
    // Names that merely start with a dot are left out: Node 20's URL (ada) keeps a `.` or `..` segment that
    // follows one (`/a/.z/.`), against the WHATWG spec and browsers; the table above covers them.
    const segment = fc.constantFrom('a', 'B', '.', '..', '%2e', '%2E', '.%2e', '%2e.', '%2E%2e', '', 'x.y', 'z.');
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), fc.constantFrom('/', '\\'), (segments, separator) => {
        const path = `/${segments.join(separator)}`;
        expect(resolvePath(path)).toBe(new URL(`http://a.com${path}`).pathname);
      }),
      { numRuns: 2000 },
    );
  });

  it('uses pageName(ctx) over the default and data.page.name over both', async () => {
    const ctx = context();
    expect(parseLine(await pageLine(ctx, { pageName: () => 'custom' })).p[1]).toBe('custom');
    expect(parseLine(await pageLine(ctx, { pageName: () => undefined })).p[1]).toBe('shop.example.com/products');
    expect(parseLine(await pageLine(ctx, { pageName: () => 'custom' }, { page: { name: 'explicit' } })).p[1]).toBe('explicit');
  });
});

describe('client information (docs/protocol.md §5)', () => {
  it('sends X-WT-IP, X-WT-UA, X-WT-RQ and pu for the current page', async () => {
    const ctx = context({ url: 'https://shop.example.com/a?x=%26y', headers: { 'user-agent': 'Mozilla/5.0 (X11) Firefox/128.0' } });
    const { params, raw } = parseLine(await pageLine(ctx));
    expect(params.get('X-WT-IP')).toBe('203.0.113.9');
    expect(params.get('X-WT-UA')).toBe('Mozilla/5.0 (X11) Firefox/128.0');
    // pu: the URL as received, encoded once: `%26` stays `%26` (sent as `%2526`).
    expect(params.get('pu')).toBe('https://shop.example.com/a?x=%26y');
    expect(raw.get('pu')).toBe('https%3A%2F%2Fshop.example.com%2Fa%3Fx%3D%2526y');
    expect(params.get('X-WT-RQ')).toBe(params.get('pu'));
  });

  it('drops the fragment from pu', async () => {
    const { params } = parseLine(await pageLine(context({ url: 'https://a.com/x#top' })));
    expect(params.get('pu')).toBe('https://a.com/x');
  });

  const hints = {
    'sec-ch-ua': '"Chromium";v="126", "Not.A/Brand";v="24"',
    'sec-ch-ua-full-version-list': '"Chromium";v="126.0.6478.126"',
    'sec-ch-ua-model': '""',
    'sec-ch-ua-mobile': '?0',
    'sec-ch-ua-platform': '"Linux"',
    'sec-ch-ua-platform-version': '"6.5.0"',
  };

  it.each([
    ['X-WT-SEC-CH-UA', hints['sec-ch-ua']],
    ['X-WT-SEC-CH-UA-FULL-VERSION-LIST', hints['sec-ch-ua-full-version-list']],
    ['X-WT-SEC-CH-UA-MODEL', hints['sec-ch-ua-model']],
    ['X-WT-SEC-CH-UA-MOBILE', hints['sec-ch-ua-mobile']],
    ['X-WT-SEC-CH-UA-PLATFORM', hints['sec-ch-ua-platform']],
    ['X-WT-SEC-CH-UA-PLATFORM-VERSION', hints['sec-ch-ua-platform-version']],
  ])('forwards the client hint %s', async (name, value) => {
    const { params } = parseLine(await pageLine(context({ headers: hints })));
    expect(params.get(name)).toBe(value);
  });

  it.each([
    ['Sec-CH-UA-Model alone', { 'sec-ch-ua-model': '"Pixel 8"' }, { 'X-WT-SEC-CH-UA-MODEL': '"Pixel 8"' }],
    ['the full version list and platform version without the low-entropy hints', { 'sec-ch-ua-full-version-list': hints['sec-ch-ua-full-version-list'], 'sec-ch-ua-platform-version': '"6.5.0"' }, { 'X-WT-SEC-CH-UA-FULL-VERSION-LIST': hints['sec-ch-ua-full-version-list'], 'X-WT-SEC-CH-UA-PLATFORM-VERSION': '"6.5.0"' }],
  ] as const)('forwards each hint the request carries on its own, as the official libraries do: %s', async (_label, headers, expected) => {
    const { params, names } = parseLine(await pageLine(context({ headers })));
    expect(names.filter((name) => name.startsWith('X-WT-SEC'))).toEqual(Object.keys(expected));
    for (const [name, value] of Object.entries(expected)) expect(params.get(name)).toBe(value);
  });

  it('sends no client hints with clientHints: false', async () => {
    const { names } = parseLine(await pageLine(context({ headers: hints }), { clientHints: false }));
    expect(names.filter((name) => name.startsWith('X-WT-SEC'))).toEqual([]);
  });

  it('sends our own sender id: cs801=mapp-s2s-<version>, cs802=<runtime> (Node under jest)', () => {
    const { params } = parseLine(line({}));
    expect(params.get('cs801')).toBe(SENDER_VERSION);
    expect(params.get('cs802')).toBe('Node');
  });
});

describe('identity parameters (docs/protocol.md §6, §12)', () => {
  it.each([
    ['a known visitor', { eid: '2138210064900146323' }, '&eid=2138210064900146323&'],
    ['a new visitor', { eid: '2138210064900146323', isNewVisitor: true }, '&eid=2138210064900146323&one=1&'],
    ['a ceid', { ceid: 'XYZ-232-ABC' }, '&ceid=XYZ-232-ABC&'],
    ['anonymous mode', { anonymous: true, eid: '2138210064900146323', ceid: 'x' }, '&nc=1&'],
  ] as const)('encodes %s like the docs/protocol.md examples', (_label, extra, expected) => {
    const text = line({}, extra);
    expect(text).toContain(expected);
    if ('anonymous' in extra) {
      expect(text).not.toContain('eid=');
    }
  });
});

describe('hit data (docs/protocol.md §3)', () => {
  it.each<[string, HitData, Record<string, string>]>([
    ['page parameters', { page: { parameters: { 12: 'red' }, categories: { 1: 'shoes' }, search: 'boots' } }, { cp12: 'red', cg1: 'shoes', is: 'boots' }],
    [
      'predefined page parameters',
      {
        page: {
          resultCount: 12, errorMessages: 'e', paywall: true, articleTitle: 'at', contentTags: 'ct', title: 'T', type: 'pt',
          length: 'long', daysSincePublication: 3, testVariant: 'B', testExperiment: 'exp',
        },
      },
      { cp771: '12', cp772: 'e', cp773: '1', cp774: 'at', cp775: 'ct', cp776: 'T', cp777: 'pt', cp778: 'long', cp779: '3', cp781: 'B', cp782: 'exp' },
    ],
    ['a false flag as 0', { page: { paywall: false } }, { cp773: '0' }],
    ['session parameters', { session: { parameters: { 3: 'gold' }, loginStatus: 'logged-in' } }, { cs3: 'gold', cs800: 'logged-in' }],
    ['an action', { action: { name: 'click', parameters: { 1: 'a' }, goals: { 2: 'b' } } }, { ct: 'click', ck1: 'a', cb2: 'b' }],
    ['a campaign (mca defaults to c)', { campaign: { mediaCode: 'wt_mc=foo.bar', parameters: { 1: 'x' } } }, { mc: 'wt_mc%3Dfoo.bar', mca: 'c', cc1: 'x' }],
    ['a view campaign', { campaign: { mediaCode: 'mc=x', action: 'v' } }, { mca: 'v' }],
    ["a media code in the form of Mapp's docs (separator encoded) gives the same mc", { campaign: { mediaCode: 'wt_mc%3Dfoo.bar' } }, { mc: 'wt_mc%3Dfoo.bar', mca: 'c' }],
    ['campaign parameters without a media code: mca all the same, as the official libraries send it', { campaign: { parameters: { 1: 'p' } } }, { mca: 'c', cc1: 'p' }],
    [
      'a customer',
      {
        customer: {
          id: 'C1', categories: { 5: 'vip' }, email: 'a@b.c', emailReceiverId: 'r', newsletter: true, firstName: 'Ä', lastName: 'L', phone: '1',
          gender: 0, birthday: '19900101', country: 'de', city: 'c', postalCode: 'p', street: 's', streetNumber: '1a', validation: false,
        },
      },
      {
        cd: 'C1', uc5: 'vip', uc700: 'a@b.c', uc701: 'r', uc702: '1', uc703: 'Ä', uc704: 'L', uc705: '1', uc706: '0', uc707: '19900101',
        uc708: 'de', uc709: 'c', uc710: 'p', uc711: 's', uc712: '1a', uc713: '0',
      },
    ],
    [
      'an order',
      {
        order: {
          value: 99.9, id: 'O-1', currency: 'EUR', couponValue: 5, tax: 19, paymentMethod: 'card', shippingService: 'dhl', shippingSpeed: 'express',
          shippingCosts: 4.95, grossMargin: 10, status: 'paid', parameters: { 20: 'x' },
        },
      },
      {
        ov: '99.9', oi: 'O-1', cr: 'EUR', cb563: '5', cb759: '19', cb761: 'card', cb762: 'dhl', cb763: 'express', cb764: '4.95', cb765: '10',
        cb766: 'paid', cb20: 'x',
      },
    ],
    ['an order value of 0 (accepted, docs/protocol.md §4)', { order: { value: 0 } }, { ov: '0' }],
    ['language and permission category', { language: 'de', permissionCategory: '2' }, { la: 'de', pec: '2' }],
    ['raw parameters', { raw: { tmc: 'x', cp99: 1, flag: true } }, { tmc: 'x', cp99: '1', flag: '1' }],
  ])('maps %s', (_label, data, expected) => {
    const { params } = parseLine(line(data));
    for (const [name, value] of Object.entries(expected)) expect([name, params.get(name)]).toEqual([name, value]);
  });

  it('double-encodes mc exactly as the docs/protocol.md example', () => {
    expect(line({ campaign: { mediaCode: 'wt_mc=foo.bar' } })).toContain('&mc=wt_mc%253Dfoo.bar&');
  });

  it('encodes UTF-8 like encodeURIComponent (Ä → %C3%84), never + for space', () => {
    const text = line({ page: { parameters: { 1: 'Ä b' } } });
    expect(text).toContain('&cp1=%C3%84%20b&');
  });

  it('joins products column-wise with aligned empty slots (cb767=%3Bblue)', () => {
    const text = line({ products: [{ id: 'a', cost: 10, quantity: 1 }, { id: 'b', variant: 'blue', quantity: 2 }] });
    const { params, raw } = parseLine(text);
    expect(raw.get('ba')).toBe('a%3Bb');
    expect(raw.get('cb767')).toBe('%3Bblue');
    expect(params.get('co')).toBe('10;');
    expect(params.get('qn')).toBe('1;2');
    expect(params.get('st')).toBe('view');
  });

  it.each<[string, HitData, Record<string, string>]>([
    [
      'all product columns',
      {
        products: [
          { id: 'p1', cost: 20, quantity: 2, categories: { 1: 'shoes' }, parameters: { 3: 'x' }, soldOut: true, variant: 'red', position: 1 },
          { id: 'p2', categories: { 2: 'sale' }, soldOut: false, position: 2 },
        ],
        productStatus: 'add',
        currency: 'EUR',
      },
      { ba: 'p1;p2', co: '20;', qn: '2;', st: 'add', ca1: 'shoes;', ca2: ';sale', cb3: 'x;', cb760: '1;0', cb767: 'red;', plp: '1;2', cr: 'EUR' },
    ],
    ['status conf with an order', { order: { value: 5 }, products: [{ id: 'a' }] }, { st: 'conf', ba: 'a' }],
    ['a semicolon inside a product id cannot shift columns', { products: [{ id: 'a;b' }, { id: 'c' }] }, { ba: 'a,b;c' }],
  ])('products: %s', (_label, data, expected) => {
    const { params } = parseLine(line(data));
    for (const [name, value] of Object.entries(expected)) expect([name, params.get(name)]).toEqual([name, value]);
  });

  it.each(['view', 'add', 'del', 'checkout', 'conf', 'add-wl', 'del-wl', 'list', 'display-reco', 'click-reco'] as const)('sends product status %s', (status) => {
    expect(parseLine(line({ products: [{ id: 'a' }], productStatus: status })).params.get('st')).toBe(status);
  });

  it('omits null, undefined and empty values but keeps 0', () => {
    const { names } = parseLine(line({ page: { parameters: { 1: null, 2: undefined, 3: '', 4: 0 } } }));
    expect(names.filter((name) => name.startsWith('cp'))).toEqual(['cp4']);
  });

  it.each([
    ['a name with &', { 'a&b': 'x' }],
    ['a name with =', { 'a=b': 'x' }],
    ['the reserved eid', { eid: '1234567890123456789' }],
    ['the reserved p', { p: '600,x' }],
    ['an X-WT header', { 'X-WT-IP': '1.2.3.4' }],
    ['cs801', { cs801: 'x' }],
    ['a leading digit', { '1x': 'x' }],
  ])('rejects raw parameter %s', (_label, raw) => {
    const result = buildLine({ ...BASE, data: { raw } });
    expect(result.ok).toBe(true);
    expect(result.problems.join()).toMatch(/raw parameter name/);
    const { names } = parseLine(result.line);
    expect(names).toEqual(['p', 'cs801', 'cs802']);
  });

  it('cannot be injected through values', () => {
    const text = line({ page: { parameters: { 1: 'x&eid=1234567890123456789\r\nX-WT-IP: 1.1.1.1#' } } });
    const { names, params } = parseLine(text);
    expect(names).toEqual(['p', 'cp1', 'cs801', 'cs802']);
    expect(params.get('cp1')).toBe('x&eid=1234567890123456789\r\nX-WT-IP: 1.1.1.1#');
    expect(text).not.toMatch(/[\r\n]/);
  });

  it('rejects invalid numbered parameter ids and reserved session ids', () => {
    const result = buildLine({ ...BASE, data: { page: { parameters: { 0: 'a', 12345: 'b' } as never }, session: { parameters: { 801: 'x', 802: 'y' } } } });
    expect(parseLine(result.line).names).toEqual(['p', 'cs801', 'cs802']);
    expect(result.problems.length).toBe(4);
  });

  it('reports a duplicate parameter instead of sending it twice', () => {
    const result = buildLine({ ...BASE, data: { page: { parameters: { 1: 'a' } }, raw: { cp1: 'b' } } });
    expect(parseLine(result.line).params.get('cp1')).toBe('a');
    expect(result.problems.join()).toMatch(/duplicate parameter cp1/);
  });
});

describe('campaign from the landing URL (docs/protocol.md §3, Campaign)', () => {
  it.each([
    ['wt_mc on the landing page', 'https://shop.example.com/?wt_mc=newsletter.nov', {}, undefined, 'wt_mc%253Dnewsletter.nov'],
    ['mc, the other default parameter', 'https://shop.example.com/?a=1&mc=sea.brand', {}, undefined, 'mc%253Dsea.brand'],
    ['the first configured parameter wins', 'https://shop.example.com/?wt_mc=b&mc=a', {}, undefined, 'mc%253Da'],
    ['a value decoded once, then encoded twice', 'https://shop.example.com/?wt_mc=summer%20sale%2Fde', {}, undefined, 'wt_mc%253Dsummer%2520sale%252Fde'],
    ['a custom parameter list', 'https://shop.example.com/?utm_campaign=x', { campaignParams: ['utm_campaign'] }, undefined, 'utm_campaign%253Dx'],
    ['detection turned off', 'https://shop.example.com/?wt_mc=x', { campaignParams: [] }, undefined, undefined],
    ['an empty value', 'https://shop.example.com/?wt_mc=', {}, undefined, undefined],
    ['no query', 'https://shop.example.com/', {}, undefined, undefined],
    ['the handler set its own media code', 'https://shop.example.com/?wt_mc=x', {}, { campaign: { mediaCode: 'mc=own' } }, 'mc%253Down'],
  ] as const)('%s', async (_label, url, options, data, expected) => {
    const { raw } = parseLine(await pageLine(context({ url }), options as TrackerOptions, data as HitData | undefined));
    expect(raw.get('mc')).toBe(expected);
    expect(raw.get('mca')).toBe(expected === undefined ? undefined : 'c');
  });

  it('keeps the campaign parameters the handler gave', async () => {
    const line = await pageLine(context({ url: 'https://shop.example.com/?wt_mc=x' }), {}, { campaign: { parameters: { 2: 'y' } } });
    expect(parseLine(line).raw.get('cc2')).toBe('y');
    expect(parseLine(line).raw.get('mc')).toBe('wt_mc%253Dx');
  });

  it('adds no campaign to backend events of the same request', async () => {
    const memory = createMemoryTransport();
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9700', transport: memory });
    const result = await tracker.track({ action: { name: 'signup' } }, { context: context({ url: 'https://shop.example.com/?wt_mc=x' }) });
    expect(result.ok && parseLine(result.line).raw.has('mc')).toBe(false);
  });

  it('rejects a campaignParams that is not a list of names', () => {
    expect(() => createTracker({ trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9700', campaignParams: 'wt_mc' as unknown as string[] })).toThrow(/campaignParams/);
  });
});
