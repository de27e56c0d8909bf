import type { Context } from 'hono';
import type { ResponseCookies } from '@mapp-s2s/core';

/**
 * Holds the visitor cookie until the chain has run, then adds it to the final response: a
 * handler may return a `Response` of its own, which would drop a header prepared before it.
 * Nothing goes out before the middleware returns, so it is never too late.
 * @internal
 */
export class PendingCookie implements ResponseCookies {
  private value: string | undefined = undefined;

  append(value: string): boolean {
    this.value = value;
    return true;
  }

  remove(value: string): void {
    if (this.value === value) this.value = undefined;
  }

  /** Appends the cookie, if any, to `c.res`, keeping every cookie already there. */
  applyTo(c: Context): void {
    if (this.value !== undefined) c.header('Set-Cookie', this.value, { append: true });
  }
}
