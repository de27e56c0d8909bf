import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResponseCookies, ResponseFacts } from '@mapp-s2s/core';
import { nodeResponseCookies } from '@mapp-s2s/core/node';

/** The parts of a Fastify reply the bridge uses (Nest's Fastify platform). */
interface ReplyLike {
  header(name: string, value: string): unknown;
  getHeader(name: string): unknown;
}

const BRIDGE = Symbol.for('@mapp-s2s/nestjs.response');

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/**
 * The response as the middleware sees it (the Node response, on both platforms), plus, on the
 * Fastify platform, the reply the interceptor sees. Fastify writes its reply headers with
 * `writeHead()`, whose `set-cookie` replaces one set on the Node response and whose
 * `content-type` the Node response may never hold: so the cookie is copied to the reply, and
 * the content type read from it.
 * @internal
 */
export class ResponseBridge implements ResponseCookies {
  private readonly cookies: ResponseCookies;
  private cookie: string | undefined = undefined;
  private reply: ReplyLike | undefined = undefined;

  constructor(private readonly res: ServerResponse) {
    this.cookies = nodeResponseCookies(res);
  }

  /** Keeps the bridge on the request, for the interceptor. */
  static attach(req: IncomingMessage, bridge: ResponseBridge): void {
    (req as { [BRIDGE]?: ResponseBridge })[BRIDGE] = bridge;
  }

  static of(req: object): ResponseBridge | undefined {
    return (req as { [BRIDGE]?: ResponseBridge })[BRIDGE];
  }

  append(value: string): boolean {
    const added = this.cookies.append(value);
    if (added) this.cookie = value;
    return added;
  }

  remove(value: string): void {
    this.cookies.remove(value);
    if (this.cookie === value) this.cookie = undefined;
  }

  /** Called by the interceptor with the platform's response; a Fastify reply gets the cookie. */
  useReply(response: object): void {
    if (response === this.res || typeof (response as { header?: unknown }).header !== 'function' || !('raw' in response)) return;
    this.reply = response as unknown as ReplyLike;
    if (this.cookie !== undefined) this.reply.header('set-cookie', this.cookie);
  }

  /** What the finished response says; `undefined` when the client got no page (aborted). */
  facts(): ResponseFacts | undefined {
    const res = this.res;
    if (!res.writableFinished && !res.headersSent) return undefined;
    return { status: res.statusCode, contentType: text(res.getHeader('content-type')) ?? text(this.reply?.getHeader('content-type')) };
  }
}

/** `ResponseBridge.facts` as a plain function, for `RequestTracking.finish`. @internal */
export function bridgeFacts(bridge: ResponseBridge): ResponseFacts | undefined {
  return bridge.facts();
}
