/**
 * The recommended `config.matcher` for `middleware.ts` / `proxy.ts`.
 *
 * Next.js reads `config` at BUILD time by static analysis: the value must be written
 * literally in your file. Importing this constant into `config` does not work (Next ignores
 * non-literal values and then runs the middleware on every request). It is exported so
 * docs, tests and your own checks can compare against one source of truth.
 *
 * It skips `_next/static`, `_next/image`, `favicon.ico`, `/api` routes and any path whose
 * last segment has a file extension (`/static/app.css`, `/robots.txt`).
 *
 * @example
 * ```ts
 * export const config = {
 *   matcher: ['/((?!_next/static|_next/image|favicon.ico|api/|api$|.*\\.[^/]+$).*)'],
 * };
 * ```
 */
export const MAPP_MATCHER = '/((?!_next/static|_next/image|favicon.ico|api/|api$|.*\\.[^/]+$).*)';

/**
 * The recommended middleware `config`, as a value you can compare against in tests.
 * Copy it literally into `middleware.ts` / `proxy.ts`; see {@link MAPP_MATCHER}.
 */
export const mappConfig = { matcher: [MAPP_MATCHER] } as const;
