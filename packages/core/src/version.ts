/**
 * This library's version: the `version` of `@mapp-s2s/core`'s package.json (a test pins the two
 * together, so a release cannot ship a stale value).
 */
const LIBRARY_VERSION = '0.1.0';

/**
 * Sent as `cs801` so Mapp can tell which sender produced a hit: `mapp-s2s-<version>`. Mapp's
 * official server libraries send their bare version there (`0.2.0` Node, `1.1.1` PHP, Java's
 * Maven version) with `cs802` `Node`/`Java`/`PHP`, and the Smart Pixel a hex code with a numeric
 * `cs802`; the `mapp-s2s-` prefix keeps our hits apart from all of them.
 */
export const SENDER_VERSION = `mapp-s2s-${LIBRARY_VERSION}`;

/** The runtimes `cs802` names (see {@link senderPlatform}). */
export type SenderPlatform = 'Node' | 'Edge' | 'Bun' | 'Deno';

/** The globals {@link senderPlatform} looks at; all optional, read through `globalThis`. */
export interface RuntimeGlobals {
  EdgeRuntime?: unknown;
  Bun?: unknown;
  Deno?: unknown;
  navigator?: { userAgent?: unknown } | undefined;
  process?: { versions?: { node?: unknown } | undefined } | undefined;
}

/**
 * The runtime this library runs in, sent as `cs802` (docs/protocol.md §3): `Edge` for the Next.js
 * Edge runtime (`globalThis.EdgeRuntime`) and web-standard workers without Node (e.g. Cloudflare
 * Workers, `navigator.userAgent` `Cloudflare-Workers`), `Bun`, `Deno`, else `Node` when
 * `process.versions.node` is there, and `Edge` for any other runtime without Node. Read through
 * `globalThis` only (no `node:` import, no bare `process`), so the main entry stays edge-safe.
 * Bun and Deno are checked before Node because both also expose `process.versions.node`.
 */
export function senderPlatform(globals: RuntimeGlobals = globalThis as RuntimeGlobals): SenderPlatform {
  if (typeof globals.EdgeRuntime === 'string') return 'Edge';
  if (globals.Bun !== undefined) return 'Bun';
  if (globals.Deno !== undefined) return 'Deno';
  // Workers may emulate `process` (nodejs_compat) but announce themselves in the user agent.
  if (globals.navigator?.userAgent === 'Cloudflare-Workers') return 'Edge';
  const node = globals.process?.versions?.node;
  return typeof node === 'string' && node !== '' ? 'Node' : 'Edge';
}

/** Protocol version (`p` field 1), fixed for server-to-server hits. */
export const PROTOCOL_VERSION = '600';
