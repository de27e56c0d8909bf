import type { Context } from 'hono';

/** What `@hono/node-server` puts at `c.env.incoming`: the Node request, read structurally. */
interface NodeIncoming {
  readonly url?: string;
  readonly socket?: { readonly remoteAddress?: string | undefined } | null;
}

/** The Node request behind `c` on `@hono/node-server`, or `undefined` on other runtimes. @internal */
export function nodeIncoming(c: Context): NodeIncoming | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return typeof incoming === 'object' && incoming !== null ? (incoming as NodeIncoming) : undefined;
}

/**
 * The request target as the client sent it, on Node (`@hono/node-server` builds `c.req.url`
 * with the WHATWG parser, which resolves `..` and re-encodes). Only origin-form targets.
 * @internal
 */
export function rawTarget(c: Context): string | undefined {
  const url = nodeIncoming(c)?.url;
  return url !== undefined && url.startsWith('/') ? url : undefined;
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
