import { createMemoryTransport } from '../src/transport/memory.js';
import type { MemoryTransport } from '../src/transport/memory.js';
import { createPixelProxy } from '../src/pixel/index.js';
import type { PixelProxyEvent, PixelProxyHandler, PixelProxyOptions } from '../src/pixel/index.js';

export const TRACK_ID = '111111111111111';
export const CHROME_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const PAGE = 'https://shop.example.com/products/shoes?size=42';
/** A Smart Pixel query as the browser sends it (docs/protocol.md §12, knigge.de sample, shortened). */
export const PIXEL_QUERY =
  'p=600,shop.example.com%2Fproducts%2Fshoes,1,1920x1080,24,1,1730181123123,0,1280x720,0&tz=1&pu=https%3A%2F%2Fshop.example.com%2Fproducts%2Fshoes&la=de&eor=1';

/** A proxy over a memory transport, recording its events. */
export function queueProxy(options: Partial<PixelProxyOptions> = {}): {
  proxy: PixelProxyHandler;
  memory: MemoryTransport;
  events: PixelProxyEvent[];
} {
  const memory = createMemoryTransport();
  const events: PixelProxyEvent[] = [];
  const proxy = createPixelProxy({
    trackId: TRACK_ID,
    trackDomain: 'http://127.0.0.1:9',
    transport: memory,
    mountPath: '/mapp/pixel',
    onPixelEvent: (event) => events.push(event),
    ...options,
  });
  return { proxy, memory, events };
}

/** A browser-like pixel image request to our site. */
export function pixelRequest(target: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Request {
  const requestInit: RequestInit = {
    method: init.method ?? 'GET',
    headers: { 'user-agent': CHROME_UA, referer: PAGE, accept: 'image/avif,image/webp,*/*', 'sec-fetch-dest': 'image', ...init.headers },
  };
  if (init.body !== undefined) requestInit.body = init.body;
  return new Request(`https://shop.example.com${target}`, requestInit);
}

/** Decoded parameters of a wire line (first value per name) and the raw names in order. */
export function lineParams(line: string): { params: Map<string, string>; names: string[] } {
  const params = new Map<string, string>();
  const names: string[] = [];
  for (const pair of line.replace(/^wt\?/, '').split('&')) {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    names.push(name);
    if (!params.has(name)) params.set(name, decodeURIComponent(eq === -1 ? '' : pair.slice(eq + 1)));
  }
  return { params, names };
}

/**
 * About `length` characters of page parameters as the Smart Pixel encodes them (`cp1=…&cp2=…`,
 * `encodeURIComponent`, 255 characters per value): umlauts, spaces, commas and slashes.
 */
export function longPageParameters(length: number): string {
  const pairs: string[] = [];
  let total = 0;
  for (let id = 1; total < length; id++) {
    const value = `Größe ${id}, Farbe/Material: ${'Wanderschuh '.repeat(20)}`.slice(0, 255);
    const pair = `cp${id}=${encodeURIComponent(value)}`;
    pairs.push(pair);
    total += pair.length + 1;
  }
  return pairs.join('&');
}
