import { describe, expect, it } from '@jest/globals';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import type { RecordedRequest, TrackerOptions } from '../src/types.js';
import { BROWSER_UA, parseLine, TRACK_ID } from './helpers.js';

const TIME = Date.UTC(2025, 2, 14, 9, 26, 53);

/** A logged request: no Accept header, no content type, as an access log holds it. */
function record(overrides: Partial<RecordedRequest> & { headers?: Record<string, string> } = {}): RecordedRequest {
  return {
    method: 'GET',
    url: 'https://shop.example.com/products?id=1',
    remoteAddress: '203.0.113.9',
    cookies: {},
    status: 200,
    time: TIME,
    ...overrides,
    headers: { 'user-agent': BROWSER_UA, ...(overrides.headers ?? {}) },
  };
}

async function recorded(overrides: Partial<RecordedRequest> & { headers?: Record<string, string> } = {}, options: TrackerOptions = {}) {
  const memory = createMemoryTransport();
  const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory, ...options });
  const result = await tracker.trackRecordedPageView!(record(overrides));
  return { result, lines: [...memory.lines], tracker };
}

describe('trackRecordedPageView: a page view from an access-log record', () => {
  it('builds the hit the middleware would, with the record time in p field 7 and no minted eid', async () => {
    const { result, lines } = await recorded({ headers: { referer: 'https://www.google.com/search?q=shoes' } });
    expect(result.ok).toBe(true);
    expect(lines).toHaveLength(1);
    const { p, params } = parseLine(lines[0] as string);
    expect(p[0]).toBe('600');
    expect(p[1]).toBe('shop.example.com/products');
    expect(p[6]).toBe(String(TIME));
    expect(p[7]).toBe('https://www.google.com/search?q=shoes');
    expect(params.get('X-WT-IP')).toBe('203.0.113.9');
    expect(params.get('X-WT-UA')).toBe(BROWSER_UA);
    expect(params.get('pu')).toBe('https://shop.example.com/products?id=1');
    expect(params.has('eid')).toBe(false);
    expect(params.has('one')).toBe(false);
  });

  it('takes the eid from a recorded Mapp cookie', async () => {
    const { lines } = await recorded({ cookies: { [`wteid_${TRACK_ID}`]: '2176420000012345678' } });
    expect(parseLine(lines[0] as string).params.get('eid')).toBe('2176420000012345678');
  });

  it.each<[string, Partial<RecordedRequest> & { headers?: Record<string, string> }, string]>([
    ['GET 200 without a content type', {}, 'sent'],
    ['304 Not Modified', { status: 304 }, 'sent'],
    ['204', { status: 204 }, 'sent'],
    ['404', { status: 404 }, 'status'],
    ['301', { status: 301 }, 'status'],
    ['no status', { status: undefined }, 'status'],
    ['a logged JSON content type', { contentType: 'application/json' }, 'content-type'],
    ['a logged HTML content type', { contentType: 'text/html; charset=utf-8' }, 'sent'],
    ['POST', { method: 'POST' }, 'method'],
    ['an asset', { url: 'https://shop.example.com/static/app.js' }, 'asset'],
    ['an image', { url: 'https://shop.example.com/img/logo.PNG' }, 'asset'],
    ['a bot', { headers: { 'user-agent': 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)' } }, 'bot'],
    ['no User-Agent', { headers: { 'user-agent': '' } }, 'bot'],
    ['the opt-out cookie', { cookies: { webtrekkOptOut: '1' } }, 'opt-out'],
  ])('%s: %s', async (_name, overrides, expected) => {
    const { result } = await recorded(overrides);
    expect(result.ok ? 'sent' : result.status === 'skipped' ? result.reason : result.status).toBe(expected);
  });

  it('applies include/exclude and counts the skips by reason', async () => {
    const { result, tracker } = await recorded({ url: 'https://shop.example.com/admin/users' }, { exclude: ['/admin'] });
    expect(result).toMatchObject({ status: 'skipped', reason: 'excluded' });
    expect(tracker.stats().skipped).toEqual({ excluded: 1 });
  });

  it('walks a recorded X-Forwarded-For only from a trusted peer', async () => {
    const chain = { remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': '198.51.100.7, 10.0.0.5' } };
    const trusted = await recorded(chain, { trustProxy: '10.0.0.0/8' });
    expect(parseLine(trusted.lines[0] as string).params.get('X-WT-IP')).toBe('198.51.100.7');
    const untrusted = await recorded(chain);
    expect(parseLine(untrusted.lines[0] as string).params.get('X-WT-IP')).toBe('10.0.0.2');
  });

  it('fails (and never rejects) without a usable time', async () => {
    const { result, lines } = await recorded({ time: Number.NaN });
    expect(result.status).toBe('failed');
    expect(lines).toEqual([]);
  });
});
