import { resolveOptions } from '../src/options.js';
import type { RequestContext, TrackerOptions } from '../src/types.js';

/** A test track id (15 digits) and a local track domain. */
export const TRACK_ID = '111111111111111';
export const BROWSER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

/** Resolved config with test defaults. */
export function config(options: TrackerOptions = {}) {
  return resolveOptions({ trackId: TRACK_ID, trackDomain: 'http://127.0.0.1:9700', ...options });
}

/** A browser-like GET page request context; override any part. */
export function context(overrides: Partial<RequestContext> & { headers?: Record<string, string> } = {}): RequestContext {
  return {
    method: 'GET',
    url: 'https://shop.example.com/products?id=1',
    remoteAddress: '203.0.113.9',
    cookies: {},
    status: 200,
    contentType: 'text/html; charset=utf-8',
    ...overrides,
    headers: { 'user-agent': BROWSER_UA, accept: 'text/html', ...(overrides.headers ?? {}) },
  };
}

/** Splits a wire line into `p` fields and decoded parameters (first value per name). */
export function parseLine(line: string): { p: string[]; params: Map<string, string>; raw: Map<string, string>; names: string[] } {
  if (!line.startsWith('wt?')) throw new Error(`not a wire line: ${line}`);
  const params = new Map<string, string>();
  const raw = new Map<string, string>();
  const names: string[] = [];
  let p: string[] = [];
  for (const part of line.slice(3).split('&')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq);
    const value = part.slice(eq + 1);
    names.push(name);
    if (name === 'p') p = value.split(',').map((field) => decodeURIComponent(field));
    raw.set(name, value);
    params.set(name, decodeURIComponent(value));
  }
  return { p, params, raw, names };
}
