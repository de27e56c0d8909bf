/**
 * The runtime's environment, read when called. Next.js does not inline non-public env
 * values into `middleware.ts`/`proxy.ts` (checked with Next 16, Turbopack, both runtimes),
 * and reading `process.env` as a whole object at request time keeps it that way with any
 * bundler. `globalThis` keeps the access web-standard: runtimes without `process` get `{}`.
 */
export function readProcessEnv(): Readonly<Record<string, string | undefined>> {
  const holder = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return holder.process?.env ?? {};
}

/** `true` on the Next.js Edge runtime (and other runtimes that define `EdgeRuntime`). */
export function isEdgeRuntime(): boolean {
  return typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === 'string';
}
