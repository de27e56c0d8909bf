import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isStaticAsset } from '../src/page-view.js';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import type { RequestContext, TrackerOptions } from '../src/types.js';
import { context, TRACK_ID } from './helpers.js';

async function decide(overrides: Partial<RequestContext> & { headers?: Record<string, string> }, options: TrackerOptions = {}) {
  const memory = createMemoryTransport();
  const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory, ...options });
  const ctx = context(overrides);
  const visit = await tracker.begin(ctx);
  const result = await tracker.end(ctx, visit);
  return { visit, result: result.ok ? 'sent' : result.status === 'skipped' ? result.reason : result.status };
}

describe('which requests are page views', () => {
  it.each<[string, Partial<RequestContext> & { headers?: Record<string, string> }, TrackerOptions, string]>([
    ['GET 200 text/html', {}, {}, 'sent'],
    ['application/xhtml+xml', { contentType: 'application/xhtml+xml' }, {}, 'sent'],
    ['HEAD', { method: 'HEAD' }, {}, 'method'],
    ['POST', { method: 'POST' }, {}, 'method'],
    ['404', { status: 404 }, {}, 'status'],
    ['301', { status: 301 }, {}, 'status'],
    ['500', { status: 500 }, {}, 'status'],
    ['JSON', { contentType: 'application/json' }, {}, 'content-type'],
    ['a status without content type (204)', { status: 204, contentType: undefined }, {}, 'content-type'],
    ['Sec-Purpose: prefetch', { headers: { 'sec-purpose': 'prefetch' } }, {}, 'prefetch'],
    ['Sec-Purpose: prefetch;prerender', { headers: { 'sec-purpose': 'prefetch;prerender' } }, {}, 'prefetch'],
    ['Purpose: prefetch', { headers: { purpose: 'prefetch' } }, {}, 'prefetch'],
    ['X-Purpose: preview', { headers: { 'x-purpose': 'preview' } }, {}, 'prefetch'],
    ['Next-Router-Prefetch', { headers: { 'next-router-prefetch': '1' } }, {}, 'prefetch'],
    ['Next-Router-Segment-Prefetch', { headers: { 'next-router-segment-prefetch': '/_tree' } }, {}, 'prefetch'],
    ['RSC: 1', { headers: { rsc: '1' } }, {}, 'prefetch'],
    ['_rsc query', { url: 'https://shop.example.com/a?_rsc=abc' }, {}, 'prefetch'],
    ['_rsc later in the query', { url: 'https://shop.example.com/a?x=1&_rsc=abc' }, {}, 'prefetch'],
    ['Sec-Fetch-Dest: empty (fetch/XHR)', { headers: { 'sec-fetch-dest': 'empty' } }, {}, 'content-type'],
    ['Sec-Fetch-Dest: document', { headers: { 'sec-fetch-dest': 'document' } }, {}, 'sent'],
    ['Googlebot', { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' } }, {}, 'bot'],
    ['curl', { headers: { 'user-agent': 'curl/8.5.0' } }, {}, 'bot'],
    ['no User-Agent', { headers: { 'user-agent': '' } }, {}, 'bot'],
    ['a custom isBot', { headers: { 'user-agent': 'curl/8.5.0' } }, { isBot: () => false }, 'sent'],
    ['a custom isBot flags browsers', {}, { isBot: (ua) => ua.includes('Chrome') }, 'bot'],
    ['a throwing isBot counts as no bot', {}, { isBot: () => { throw new Error('x'); } }, 'sent'],
    ['/static/', { url: 'https://a.com/static/page' }, {}, 'asset'],
    ['/assets/', { url: 'https://a.com/assets/x' }, {}, 'asset'],
    ['/_next/', { url: 'https://a.com/_next/static/chunk' }, {}, 'asset'],
    ['favicon.ico', { url: 'https://a.com/favicon.ico' }, {}, 'asset'],
    ['.css', { url: 'https://a.com/site.css?v=1' }, {}, 'asset'],
    ['.JS upper case', { url: 'https://a.com/app.JS' }, {}, 'asset'],
    ['.woff2', { url: 'https://a.com/f/font.woff2' }, {}, 'asset'],
    ['a .html page', { url: 'https://a.com/about.html' }, {}, 'sent'],
    ['a dotted folder is no extension', { url: 'https://a.com/v1.2/page' }, {}, 'sent'],
    ['ignoreStaticAssets: false', { url: 'https://a.com/site.css' }, { ignoreStaticAssets: false }, 'sent'],
    ['exclude prefix', { url: 'https://a.com/admin/x' }, { exclude: ['/admin'] }, 'excluded'],
    ['exclude wildcard', { url: 'https://a.com/shop/secret/1' }, { exclude: ['/shop/*/1'] }, 'excluded'],
    ['exclude regex', { url: 'https://a.com/a?preview=1' }, { exclude: [/preview=1/] }, 'excluded'],
    ['exclude full URL', { url: 'https://staging.a.com/x' }, { exclude: ['https://staging.'] }, 'excluded'],
    ['a non-ASCII host that URL would cut at a backslash', { url: 'https://evil.com\\ü/x' }, {}, 'no-host'],
    ['an anchored exclude regex, with a query', { url: 'https://a.com/admin?tab=orders' }, { exclude: [/^\/admin(\/|$)/] }, 'excluded'],
    ['an anchored exclude regex, on a longer path', { url: 'https://a.com/administrator?x=1' }, { exclude: [/^\/admin(\/|$)/] }, 'sent'],
    ['an anchored include regex, with a query', { url: 'https://a.com/products/12?ref=mail' }, { include: [/^\/products\/\d+$/] }, 'sent'],
    ['an exclude regex on a resolved path', { url: 'https://a.com/x/../admin?tab=1' }, { exclude: [/^\/admin$/] }, 'excluded'],
    ['include matches', { url: 'https://a.com/shop/1' }, { include: ['/shop'] }, 'sent'],
    ['include misses', { url: 'https://a.com/blog/1' }, { include: ['/shop'] }, 'not-included'],
    ['exclude beats include', { url: 'https://a.com/shop/admin' }, { include: ['/shop'], exclude: ['/shop/admin'] }, 'excluded'],
    ['a relative URL and no Host header', { url: '/page', headers: {} }, {}, 'no-host'],
    ['a Host header that is no host name', { url: 'http://a"b/page' }, {}, 'no-host'],
    ['a relative URL (RequestContext.url must be absolute)', { url: '/page', headers: { host: 'shop.example.com' } }, {}, 'no-host'],
    ['a bare path that holds a scheme and host (a request without a usable Host)', { url: '/http://evil.example/x', headers: {} }, {}, 'no-host'],
    ['a host with a port', { url: 'http://shop.example.com:8080/page' }, {}, 'sent'],
    ['skip() true', {}, { skip: () => true }, 'skip'],
    ['skip() async true', {}, { skip: async () => true }, 'skip'],
    ['skip() false', {}, { skip: () => false }, 'sent'],
    ['a throwing skip() skips', {}, { skip: () => { throw new Error('x'); } }, 'skip'],
  ])('%s → %s', async (_label, overrides, options, expected) => {
    expect((await decide(overrides, options)).result).toBe(expected);
  });

  it('decides request-only rules in begin(), so skipped requests get no cookie', async () => {
    const { visit } = await decide({ url: 'https://a.com/app.js' });
    expect(visit).toMatchObject({ trackable: false, skipReason: 'asset' });
    expect(visit.setCookie).toBeUndefined();
  });

  it('decides status and content type only in end()', async () => {
    const { visit, result } = await decide({ status: 404 });
    expect(visit.trackable).toBe(true);
    expect(result).toBe('status');
  });

  describe('without status and content type (middleware before rendering)', () => {
    it.each<[string, Record<string, string>, string]>([
      ['Sec-Fetch-Dest: document', { accept: '*/*', 'sec-fetch-dest': 'document' }, 'sent'],
      ['Sec-Fetch-Mode: navigate', { accept: '*/*', 'sec-fetch-mode': 'navigate' }, 'sent'],
      ['Accept: text/html', { accept: 'text/html,application/xhtml+xml' }, 'sent'],
      ['Accept: */* only', { accept: '*/*' }, 'content-type'],
      ['Accept: application/json', { accept: 'application/json' }, 'content-type'],
    ])('%s → %s', async (_label, headers, expected) => {
      expect((await decide({ status: undefined, contentType: undefined, headers })).result).toBe(expected);
    });
  });
});

describe('isStaticAsset', () => {
  it.each([
    ['/robots.txt', true], ['/sitemap.xml', true], ['/img/logo.svg', true], ['/.well-known/security.txt', true],
    ['/', false], ['/products/42', false], ['/index.php', false], ['/blog.post/x', false],
    ['/STATIC/app', true], ['/Assets/x', true], ['/_next/data', true], ['/@vite/client', true], ['/Build/static/a', true], ['/build/x', false],
    ['/app.JS', true], ['/a/b.Css', true], ['static/x', false],
  ] as const)('%s → %s', (path, expected) => {
    expect(isStaticAsset(path)).toBe(expected);
  });

  it('decides as lower-casing the whole path and testing every folder would (property)', () => {
    const folders = ['/static/', '/assets/', '/_next/', '/_nuxt/', '/_astro/', '/@vite/', '/@fs/', '/__vite', '/.well-known/', '/build/static/'];
    const extensions = ['js', 'JS', 'css', 'png', 'html', 'php', 'WOFF2', 'map', 'x'];
    const reference = (path: string): boolean => {
      const lower = path.toLowerCase();
      if (folders.some((folder) => lower.startsWith(folder))) return true;
      const slash = lower.lastIndexOf('/');
      const dot = lower.lastIndexOf('.');
      return dot > slash && isStaticAsset(`/x.${lower.slice(dot + 1)}`);
    };
    const piece = fc.oneof(fc.constantFrom(...folders, ...folders.map((f) => f.toUpperCase()), '/', '.', 'a', 'B', 'İ', '%2e'), fc.string({ maxLength: 4 }), fc.constantFrom(...extensions).map((e) => `.${e}`));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), (pieces) => {
        const path = pieces.join('');
        expect(isStaticAsset(path)).toBe(reference(path));
      }),
      { numRuns: 2000 },
    );
  });
});
