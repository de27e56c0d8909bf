import { createPixelProxy } from '@mapp-s2s/core';
import type { PixelProxyHandler, PixelProxyOptions } from '@mapp-s2s/core';
import { readProcessEnv } from './env.js';
import { splitForwardedFor } from './to-context.js';

/** Options of `createPixelRoute()`: every core pass-through option. */
export interface NextPixelRouteOptions extends PixelProxyOptions {
  /**
   * The route's URL path, stripped before the pixel path is checked; it must match the
   * folder of the route file (`app/mapp/pixel/[[...path]]/route.ts` → `/mapp/pixel`).
   * @default '/mapp/pixel'
   */
  mountPath?: string;
  /**
   * The scheme the client used. Next builds `request.url` from any client's
   * `X-Forwarded-Proto` without a trust check; `'http'` (what `next start` serves) lets
   * `trustProxy` alone decide about `https` (it only sets the cookie's `Secure` flag here).
   * @default the scheme of `request.url`
   */
  protocol?: (request: Request) => 'http' | 'https' | undefined;
}

/** A Next.js route handler (App Router): web `Request` in, web `Response` out. */
export type PixelRouteHandler = (request: Request) => Promise<Response>;

/** What `createPixelRoute()` returns: export these from the route file. */
export interface PixelRouteHandlers {
  GET: PixelRouteHandler;
  HEAD: PixelRouteHandler;
  POST: PixelRouteHandler;
}

/** A syntactically valid `Host` value, or undefined. */
function validHost(value: string | null): string | undefined {
  return value !== null && /^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i.test(value) ? value : undefined;
}

// p fields 3-7 of a browser hit: JS on, screen, colour depth, cookies on, 13-digit client time.
const P_ANCHOR = [/^[01]?$/, /^(?:\d+x\d+)?$/, /^\d*$/, /^[01]?$/, /^\d{13}$/];

/**
 * Re-encodes the decoded `p` value field by field with literal commas (docs/protocol.md §2). When
 * the page name or referrer held a comma there are more than ten pieces; fields 3-7 have fixed
 * shapes (ending in the 13-digit time), which tells where the page name ends.
 */
function encodeP(value: string): string {
  const parts = value.split(',');
  if (parts.length > 10) {
    for (let start = 2; start + 5 <= parts.length - 3; start++) {
      if (!P_ANCHOR.every((shape, offset) => shape.test(parts[start + offset] ?? ''))) continue;
      const fields = [
        parts[0] ?? '',
        parts.slice(1, start).join(','),
        ...parts.slice(start, start + 5),
        parts.slice(start + 5, parts.length - 2).join(','),
        ...parts.slice(parts.length - 2),
      ];
      return fields.map((field) => encodeURIComponent(field)).join(',');
    }
  }
  return parts.map((field) => encodeURIComponent(field)).join(',');
}

/**
 * Next hands route handlers a re-serialised query (decoded, then form-encoded: commas as
 * `%2C`, spaces as `+`), not the bytes the pixel sent. Re-encoding every pair the way the
 * pixel does (`encodeURIComponent`, literal commas between `p` fields) restores its line.
 */
export function rebuildPixelQuery(search: URLSearchParams): string {
  const pairs: string[] = [];
  search.forEach((value, name) => {
    pairs.push(`${encodeURIComponent(name)}=${name === 'p' ? encodeP(value) : encodeURIComponent(value)}`);
  });
  return pairs.join('&');
}

/**
 * Rebuilds the request for the core: the pixel's query encoding, the site's own host (Next
 * rewrites `request.url` to `localhost`) and `X-Forwarded-For` without its right-most entry, which `next start` wrote
 * from the socket and which is therefore the peer, not a hop (see `splitForwardedFor`).
 */
function toCoreRequest(request: Request, scheme: 'http' | 'https' | undefined): { request: Request; remoteAddress: string | undefined } {
  const forwarded = splitForwardedFor(request.headers.get('x-forwarded-for'));
  const headers = new Headers(request.headers);
  if (forwarded.rest !== undefined) headers.set('x-forwarded-for', forwarded.rest);
  else headers.delete('x-forwarded-for');
  const url = new URL(request.url);
  const host = validHost(request.headers.get('host'));
  const query = rebuildPixelQuery(url.searchParams);
  const target = `${scheme === undefined ? url.protocol : `${scheme}:`}//${host ?? url.host}${url.pathname}${query === '' ? '' : `?${query}`}`;
  const method = request.method.toUpperCase();
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method === 'POST' && request.body !== null) {
    init.body = request.body;
    init.duplex = 'half';
  }
  return { request: new Request(target, init), remoteAddress: forwarded.peer };
}

/**
 * Next.js route handlers for the Smart Pixel pass-through (docs/protocol.md §9). In
 * `app/mapp/pixel/[[...path]]/route.ts`:
 *
 * ```ts
 * import { createPixelRoute } from '@mapp-s2s/next';
 * export const { GET, HEAD, POST } = createPixelRoute({ trustProxy: 'loopback' });
 * ```
 *
 * Options and `MAPP_*` variables are read at the first request (Next evaluates route modules
 * at build time, when runtime variables are missing); a configuration mistake then answers
 * 500 naming the fix. Works on the Node.js and Edge runtimes. On Edge with `mode: 'queue'`,
 * pass `waitUntil: (promise) => after(() => promise)` (from `next/server`) so the send finishes.
 */
export function createPixelRoute(options: NextPixelRouteOptions = {}): PixelRouteHandlers {
  const { protocol, ...proxyOptions } = options;
  let handler: PixelProxyHandler | undefined;
  let failure: Error | undefined;

  const resolve = (): PixelProxyHandler | Error => {
    if (handler !== undefined) return handler;
    if (failure !== undefined) return failure;
    try {
      handler = createPixelProxy({ ...proxyOptions, mountPath: proxyOptions.mountPath ?? '/mapp/pixel' }, readProcessEnv());
      return handler;
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      (proxyOptions.logger ?? console).error(`[mapp-s2s] pixel route misconfigured: ${failure.message}`);
      return failure;
    }
  };

  async function mappPixelRoute(request: Request): Promise<Response> {
    const ready = resolve();
    if (ready instanceof Error) {
      // The same hardening as every answer of the core's pass-through.
      return new Response(`mapp-s2s pixel route: ${ready.message}\n`, {
        status: 500,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'" },
      });
    }
    const core = toCoreRequest(request, protocol?.(request));
    return ready(core.request, { remoteAddress: core.remoteAddress });
  }

  return { GET: mappPixelRoute, HEAD: mappPixelRoute, POST: mappPixelRoute };
}
