import { describe, expect, it } from '@jest/globals';
import { InvalidOptionError, MissingOptionError, TrackingError, UnknownOptionError, UnsupportedTransportError } from '../src/errors.js';
import { resolveOptions, type TrackerEnv } from '../src/options.js';
import { createTracker } from '../src/tracker.js';
import type { TrackerOptions } from '../src/types.js';
import { context } from './helpers.js';

const ID = '123451234512345';
const ok = (options: TrackerOptions, env: TrackerEnv = {}) => resolveOptions({ trackId: ID, trackDomain: 'track.example.com', ...options }, env);

function thrown(run: () => unknown): TrackingError {
  try {
    run();
  } catch (error) {
    if (error instanceof TrackingError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('trackId', () => {
  it.each([
    [ID, ID],
    [`${ID},543215432154321`, `${ID},543215432154321`],
    [`${ID}, 543215432154321`, `${ID},543215432154321`],
  ])('accepts %j', (input, expected) => {
    expect(ok({ trackId: input }).trackId).toBe(expected);
  });

  it.each([['12345'], ['1234512345123456'], ['12345123451234x'], [`${ID},`], [`${ID};${ID}`], [''], [123451234512345]])('rejects %j naming the option, value and fix', (input) => {
    const error = thrown(() => resolveOptions({ trackId: input as string, trackDomain: 'track.example.com' }));
    if (input === '') {
      expect(error).toBeInstanceOf(MissingOptionError);
      expect(error.code).toBe('MISSING_OPTION');
    } else {
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error.code).toBe('INVALID_OPTION');
      expect(error.message).toContain('`trackId`');
      expect(error.message).toContain(JSON.stringify(input));
      expect(error.message).toMatch(/15 digits|string/);
    }
  });

  it('is required', () => {
    const error = thrown(() => resolveOptions({ trackDomain: 'track.example.com' }));
    expect(error.code).toBe('MISSING_OPTION');
    expect(error.message).toMatch(/trackId.*MAPP_TRACK_ID/);
  });
});

describe('trackDomain', () => {
  it.each([
    ['track.example.com', 'https://track.example.com', true],
    ['track.example.com:8443', 'https://track.example.com:8443', true],
    ['https://track.example.com/', 'https://track.example.com', true],
    ['http://127.0.0.1:9700', 'http://127.0.0.1:9700', true],
    ['http://localhost:9700', 'http://localhost:9700', true],
    ['http://[::1]:9700', 'http://[::1]:9700', true],
    ['HTTPS://Track.Example.com', 'https://track.example.com', true],
    ['analytics01.wt-eu02.net', 'https://analytics01.wt-eu02.net', false],
    ['q3.webtrekk.net', 'https://q3.webtrekk.net', false],
    ['x.webtrekk-us.net', 'https://x.webtrekk-us.net', false],
  ])('accepts %j as %s (own domain: %s)', (input, origin, own) => {
    const config = ok({ trackDomain: input });
    expect(config.origin).toBe(origin);
    expect(config.ownTrackDomain).toBe(own);
  });

  it.each([
    ['https://track.example.com/path'],
    ['track.example.com/123451234512345/wt'],
    ['https://track.example.com?x=1'],
    ['https://track.example.com#x'],
    ['https://user:pass@track.example.com'],
    ['ftp://track.example.com'],
    ['track example.com'],
    [''],
    ['http://'],
  ])('rejects %j with a fix', (input) => {
    const error = thrown(() => ok({ trackDomain: input }));
    expect(['INVALID_OPTION', 'MISSING_OPTION']).toContain(error.code);
    expect(error.message).toContain('trackDomain');
    if (input !== '') expect(error.message).toContain('http://127.0.0.1:9700');
  });
});

describe('environment', () => {
  it('fills options from env', () => {
    const config = resolveOptions({}, {
      MAPP_TRACK_ID: ID, MAPP_TRACK_DOMAIN: 'http://127.0.0.1:9700', MAPP_TRANSPORT: 'batch', MAPP_TRUST_PROXY: '1', MAPP_DRY_RUN: 'true', MAPP_DEBUG: '1',
    });
    expect(config).toMatchObject({ trackId: ID, origin: 'http://127.0.0.1:9700', transport: 'batch', dryRun: true, debug: true, trustsAnyProxy: true });
  });

  it('lets explicit options beat env', () => {
    const config = resolveOptions({ trackId: ID, trackDomain: 'a.example.com', transport: 'direct', dryRun: false, debug: false, trustProxy: false }, {
      MAPP_TRACK_ID: '999999999999999', MAPP_TRACK_DOMAIN: 'b.example.com', MAPP_TRANSPORT: 'batch', MAPP_DRY_RUN: 'true', MAPP_DEBUG: 'true', MAPP_TRUST_PROXY: 'true',
    });
    expect(config).toMatchObject({ trackId: ID, origin: 'https://a.example.com', transport: 'direct', dryRun: false, debug: false, trustsAnyProxy: false });
  });

  it.each([
    ['true', '10.0.0.1', '1.2.3.4'],
    ['false', '10.0.0.1', '10.0.0.1'],
    ['1', '10.0.0.1', '1.2.3.4'],
    ['0', '10.0.0.1', '10.0.0.1'],
    ['loopback, 10.0.0.0/8', '10.0.0.1', '1.2.3.4'],
    ['192.168.0.0/16', '10.0.0.1', '10.0.0.1'],
  ])('MAPP_TRUST_PROXY=%j', async (value, remoteAddress, expected) => {
    const config = resolveOptions({ trackId: ID, trackDomain: 'a.example.com' }, { MAPP_TRUST_PROXY: value });
    const { requestFacts } = await import('../src/request-facts.js');
    expect(requestFacts(context({ remoteAddress, headers: { 'x-forwarded-for': '1.2.3.4' } }), config).ip).toBe(expected);
  });

  it.each([
    ['MAPP_TRUST_PROXY', 'nonsense'],
    ['MAPP_DRY_RUN', 'maybe'],
    ['MAPP_DEBUG', '2'],
    ['MAPP_TRANSPORT', 'carrier-pigeon'],
    ['MAPP_TRACK_ID', '42'],
  ])('rejects %s=%j naming the variable', (name, value) => {
    const error = thrown(() => resolveOptions({ trackId: name === 'MAPP_TRACK_ID' ? undefined : ID, trackDomain: 'a.example.com' }, { [name]: value }));
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toContain(name);
  });
});

describe('other options', () => {
  it('fills every default', () => {
    const config = ok({});
    expect(config).toMatchObject({
      transport: 'direct', timeout: 2000, batch: {}, spool: {}, trustsAnyProxy: false, clientIpHeaders: [], anonymizeIp: false, sendIp: true,
      cookie: { name: 'wtstp_eid', domain: undefined, path: '/', maxAge: 15552000, secure: 'auto', httpOnly: false, sameSite: 'Lax' },
      pageNameParams: [], campaignParams: ['mc', 'wt_mc'], domains: [], privacySignals: 'anonymous', optOutCookie: 'webtrekkOptOut', anonymousCookie: 'miCookieOptOut',
      ignoreStaticAssets: true, include: undefined, exclude: undefined, clientHints: true, dryRun: false, debug: false, logger: console,
    });
    expect(typeof config.fetch).toBe('function');
    expect(config.isBot('Googlebot/2.1')).toBe(true);
  });

  it.each<[string, TrackerOptions, RegExp]>([
    ['timeout', { timeout: -1 }, /timeout.*positive/],
    ['transport', { transport: 'http' as never }, /transport.*'direct', 'batch'/],
    ['trustProxy entry', { trustProxy: ['10.0.0.0/99'] }, /trustProxy.*prefix/],
    ['trustProxy name', { trustProxy: ['localhost'] }, /trustProxy.*loopback/],
    ['trustProxy negative', { trustProxy: -1 }, /trustProxy/],
    ['clientIpHeaders', { clientIpHeaders: ['bad header'] }, /clientIpHeaders/],
    ['cookie.name', { cookie: { name: 'a;b' } }, /cookie\.name/],
    ['cookie.maxAge', { cookie: { maxAge: 1.5 } }, /cookie\.maxAge/],
    ['cookie.secure', { cookie: { secure: 'yes' as never } }, /cookie\.secure/],
    ['cookie.sameSite', { cookie: { sameSite: 'lax' as never } }, /cookie\.sameSite/],
    ['cookie.path', { cookie: { path: 'x' } }, /cookie\.path/],
    ['cookie.domain', { cookie: { domain: 'a b' } }, /cookie\.domain/],
    ['privacySignals', { privacySignals: 'off' as never }, /privacySignals/],
    ['skip', { skip: true as never }, /skip.*function/],
    ['include', { include: [42 as never] }, /include/],
    ['batch.maxBatchSize', { batch: { maxBatchSize: 0 } }, /batch\.maxBatchSize/],
    ['spool.fsync', { spool: { fsync: 'sometimes' as never } }, /spool\.fsync/],
    ['logger', { logger: {} as never }, /logger/],
    ['dryRun', { dryRun: 'yes' as never }, /dryRun/],
  ])('rejects a bad %s', (_label, options, message) => {
    const error = thrown(() => ok(options));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/received/);
  });

  it.each([
    ['trackID', 'trackId'],
    ['trustProxies', 'trustProxy'],
    ['anonymiseIp', 'anonymizeIp'],
    ['dryrun', 'dryRun'],
  ])('rejects the unknown key %s with a did-you-mean (%s)', (key, suggestion) => {
    const error = thrown(() => ok({ [key]: true } as TrackerOptions));
    expect(error).toBeInstanceOf(UnknownOptionError);
    expect(error.code).toBe('UNKNOWN_OPTION');
    expect(error.message).toContain(`Did you mean \`${suggestion}\``);
  });

  it('rejects unknown nested keys', () => {
    expect(thrown(() => ok({ cookie: { maxage: 1 } as never })).message).toContain('cookie.maxAge');
    expect(thrown(() => ok({ batch: { size: 1 } as never })).code).toBe('UNKNOWN_OPTION');
  });

  it('accepts extra keys an adapter declares', () => {
    expect(() => createTracker({ trackId: ID, trackDomain: 'a.example.com', onError: () => undefined } as TrackerOptions, {}, { extraOptionKeys: ['onError'] })).not.toThrow();
  });

  it("rejects 'spool' from the main entry, pointing to @mapp-s2s/core/node", () => {
    const error = thrown(() => createTracker({ trackId: ID, trackDomain: 'a.example.com', transport: 'spool', spool: { dir: '/tmp/x' } }));
    expect(error).toBeInstanceOf(UnsupportedTransportError);
    expect(error.code).toBe('UNSUPPORTED_TRANSPORT');
    expect(error.message).toContain("'@mapp-s2s/core/node'");
  });
});

describe('proxyHeaders', () => {
  it.each<[TrackerOptions, Record<string, string>, string]>([
    [{}, {}, 'auto'],
    [{ proxyHeaders: 'forwarded' }, {}, 'forwarded'],
    [{ proxyHeaders: 'x-forwarded' }, {}, 'x-forwarded'],
    [{}, { MAPP_PROXY_HEADERS: 'forwarded' }, 'forwarded'],
    [{}, { MAPP_PROXY_HEADERS: ' X-Forwarded ' }, 'x-forwarded'],
    [{}, { MAPP_PROXY_HEADERS: '' }, 'auto'],
    [{ proxyHeaders: 'auto' }, { MAPP_PROXY_HEADERS: 'forwarded' }, 'auto'],
  ])('resolves %j with env %j to %s', (options, env, expected) => {
    expect(ok(options, env).proxyHeaders).toBe(expected);
  });

  it.each<[string, TrackerOptions, Record<string, string>, RegExp]>([
    ['proxyHeaders', { proxyHeaders: 'x-forwarded-for' as never }, {}, /Did you mean 'x-forwarded'\?/],
    ['proxyHeaders', { proxyHeaders: 'Forwarded' as never }, {}, /Did you mean 'forwarded'\?/],
    ['proxyHeaders', { proxyHeaders: 'nginx' as never }, {}, /'auto'.*'forwarded'.*'x-forwarded'/],
    ['proxyHeaders', { proxyHeaders: true as never }, {}, /'auto'.*'forwarded'.*'x-forwarded'/],
    ['MAPP_PROXY_HEADERS', {}, { MAPP_PROXY_HEADERS: 'rfc7239' }, /'auto'.*'forwarded'.*'x-forwarded'/],
    ['MAPP_PROXY_HEADERS', {}, { MAPP_PROXY_HEADERS: 'x_forwarded' }, /Did you mean 'x-forwarded'\?/],
  ])('rejects a bad %s naming it, the value and the fix', (name, options, env, fix) => {
    const error = thrown(() => ok(options, env));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.message).toContain(`\`${name}\``);
    expect(error.message).toContain(`received ${JSON.stringify(options.proxyHeaders ?? env['MAPP_PROXY_HEADERS'])}`);
    expect(error.message).toMatch(fix);
  });
});
