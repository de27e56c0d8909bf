import type { FastifyReply } from 'fastify';
import type { ResponseCookies } from '@mapp-s2s/core';

/**
 * The visitor cookie goes through Fastify's reply headers, not the Node response: Fastify
 * writes its own headers with `writeHead()`, whose `set-cookie` (e.g. from `@fastify/cookie`)
 * would replace one set on `reply.raw`. `reply.header('set-cookie', …)` appends.
 * One object per request, methods on the prototype (this runs on every tracked request).
 * @internal
 */
export class ReplyCookies implements ResponseCookies {
  constructor(private readonly reply: FastifyReply) {}

  append(value: string): boolean {
    if (this.reply.sent || this.reply.raw.headersSent) return false;
    this.reply.header('set-cookie', value);
    return true;
  }

  remove(value: string): void {
    if (this.reply.sent || this.reply.raw.headersSent) return;
    const current = this.reply.getHeader('set-cookie');
    const values = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)];
    const remaining = values.filter((cookie) => cookie !== value);
    this.reply.removeHeader('set-cookie');
    for (const cookie of remaining) this.reply.header('set-cookie', cookie);
  }
}
