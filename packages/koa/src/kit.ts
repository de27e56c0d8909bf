import { createAdapterKit } from '@mapp-s2s/core';

/**
 * This adapter's per-request state and helpers, shared by every `mappTracking()` in the app.
 * Decorated handlers get `(ctx, next)`: a Koa context has a string `method` and a `ctx`
 * property, which tells it apart from other arguments.
 * @internal
 */
export const kit = createAdapterKit({
  namespace: '@mapp-s2s/koa',
  mountHint: 'app.use(mappTracking(...)) before your routes',
  isRequest: (value): value is object =>
    typeof value === 'object' && value !== null && typeof (value as { method?: unknown }).method === 'string' && 'ctx' in value,
});
