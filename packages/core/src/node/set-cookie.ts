import type { ServerResponse } from 'node:http';
import type { ResponseCookies } from '../adapter/request-tracking.js';

function currentSetCookies(res: ServerResponse): string[] {
  const current = res.getHeader('set-cookie');
  if (current === undefined) return [];
  return Array.isArray(current) ? current.map(String) : [String(current)];
}

/** Adds one `Set-Cookie` value, keeping every value already set. @internal */
export function appendSetCookie(res: ServerResponse, value: string): void {
  // Node 18.3+: appends without reading and copying what is there (one array per request less).
  if (typeof (res as { appendHeader?: unknown }).appendHeader === 'function') {
    res.appendHeader('set-cookie', value);
    return;
  }
  res.setHeader('set-cookie', [...currentSetCookies(res), value]);
}

/** Takes back a `Set-Cookie` value added earlier, while headers are still unsent. @internal */
export function removeSetCookie(res: ServerResponse, value: string): void {
  if (res.headersSent) return;
  const remaining = currentSetCookies(res).filter((cookie) => cookie !== value);
  if (remaining.length === 0) res.removeHeader('set-cookie');
  else res.setHeader('set-cookie', remaining);
}

/**
 * The `Set-Cookie` access `createRequestTracking()` needs, on a Node response (Express's
 * `res`, Koa's `ctx.res`): never overwrites cookies the app or other middleware set.
 * @internal
 */
export function nodeResponseCookies(res: ServerResponse): ResponseCookies {
  return new NodeResponseCookies(res);
}

/** One object per request, methods on the prototype (this runs on every tracked request). */
class NodeResponseCookies implements ResponseCookies {
  constructor(private readonly res: ServerResponse) {}

  append(value: string): boolean {
    try {
      appendSetCookie(this.res, value);
      return true;
    } catch (error) {
      // Too late (a response sent before the visit was decided): nothing to add to.
      if ((error as NodeJS.ErrnoException).code === 'ERR_HTTP_HEADERS_SENT' || this.res.headersSent) return false;
      throw error;
    }
  }

  remove(value: string): void {
    removeSetCookie(this.res, value);
  }
}
