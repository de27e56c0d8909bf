import { createMemoryTransport } from '@mapp-s2s/core';
import type { MemoryTransport } from '@mapp-s2s/core';
import { NextRequest } from 'next/server.js';
import type { NextFetchEvent } from 'next/server.js';

/** A browser user agent no bot list matches. */
export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

/** What a browser sends when the user opens a page. */
export const NAVIGATION: Readonly<Record<string, string>> = {
  'user-agent': BROWSER_UA,
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
  host: 'shop.example.com',
  // `next start` writes the socket address here when the request has none.
  'x-forwarded-for': '203.0.113.9',
};

export const TRACK_ID = '123451234512345';

/** A request as Next hands it to middleware. Headers given as `undefined` are left out. */
export function nextRequest(path: string, headers: Record<string, string | undefined> = {}, method = 'GET'): NextRequest {
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...NAVIGATION, ...headers })) if (value !== undefined) merged[name] = value;
  // Next rewrites request.url to its own hostname; the page URL must come from Host.
  return new NextRequest(`http://localhost:3000${path}`, { method, headers: merged });
}

/** A `NextFetchEvent` stand-in that records what was handed to `waitUntil`. */
export function fakeEvent(): { event: NextFetchEvent; pending: Array<Promise<unknown>>; settled(): Promise<unknown[]> } {
  const pending: Array<Promise<unknown>> = [];
  const event = { waitUntil: (promise: Promise<unknown>) => void pending.push(promise) } as unknown as NextFetchEvent;
  return { event, pending, settled: () => Promise.all(pending) };
}

/** Core options for tests: memory transport, fixed track id, no env. */
export function testOptions(memory: MemoryTransport = createMemoryTransport()) {
  return { trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory, env: {} };
}

/** Query parameters of a wire line (`wt?p=...&...`). */
export function params(line: string): URLSearchParams {
  return new URLSearchParams(line.slice(line.indexOf('?') + 1));
}

/** `name=value` of the first `Set-Cookie` for `name`. */
export function cookieValue(response: Response, name: string): string | undefined {
  for (const cookie of response.headers.getSetCookie()) {
    const pair = cookie.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) === name) return pair.slice(eq + 1);
  }
  return undefined;
}
