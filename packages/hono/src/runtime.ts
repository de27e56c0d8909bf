import type { Context } from 'hono';
import { receivedUrl } from '@mapp-s2s/core';

/** What `@hono/node-server` puts at `c.env.incoming`: the Node request, read structurally. */
interface NodeIncoming {
  readonly url?: string;
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  readonly socket?: { readonly remoteAddress?: string | undefined; readonly encrypted?: boolean | undefined } | null;
}

/** `http://` or `https://` and the authority: the start of an absolute-form request target. */
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/** The Node request behind `c` on `@hono/node-server`, or `undefined` on other runtimes. @internal */
export function nodeIncoming(c: Context): NodeIncoming | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return typeof incoming === 'object' && incoming !== null ? (incoming as NodeIncoming) : undefined;
}

/**
 * The request target as the client sent it, on Node (`@hono/node-server` builds `c.req.url`
 * with the WHATWG parser, which resolves `..` and re-encodes): origin-form (`/x?y`) or
 * absolute-form (`https://host/x`), exactly as received.
 * @internal
 */
export function rawTarget(c: Context): string | undefined {
  return nodeIncoming(c)?.url;
}

/** The path and query of a request target: an absolute-form target without its scheme and host. @internal */
export function targetPath(target: string): string {
  return target.startsWith('/') ? target : target.replace(ABSOLUTE_FORM, '');
}

/**
 * The page URL on Node, built as the core's `fromNodeRequest` builds it: the scheme of the
 * connection (TLS or not), the host of the `Host` header (`:authority` on HTTP/2) and the target
 * as received. An absolute-form target contributes only its path and query: its scheme and host
 * are the client's choice (`@hono/node-server` would adopt them). `undefined` off Node.
 * @internal
 */
export function nodePageUrl(c: Context): string | undefined {
  const incoming = nodeIncoming(c);
  const target = incoming?.url;
  if (incoming === undefined || target === undefined) return undefined;
  const scheme = incoming.socket?.encrypted === true ? 'https' : 'http';
  const host = headerValue(incoming.headers?.['host']) ?? headerValue(incoming.headers?.[':authority']);
  return receivedUrl(scheme, host, targetPath(target));
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The worker's `waitUntil` for this request, or `undefined` (Node has no execution context). @internal */
export function waitUntilOf(c: Context): ((promise: Promise<unknown>) => void) | undefined {
  let executionCtx: { waitUntil(promise: Promise<unknown>): void } | undefined;
  try {
    executionCtx = c.executionCtx; // a getter that throws where the runtime gives none
  } catch {
    return undefined;
  }
  return (promise) => executionCtx?.waitUntil(promise);
}

/**
 * The runtime's environment, read when called: `process.env` where there is one (Node, Bun,
 * Deno's compatibility layer), `{}` in workers. Through `globalThis`, so the main entry
 * bundles for the edge without Node globals.
 * @internal
 */
export function processEnv(): Readonly<Record<string, string | undefined>> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}
