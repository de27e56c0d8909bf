import { createAdapterKit } from '@mapp-s2s/core';

/**
 * This adapter's per-request state and helpers. The state sits on Hono's `Context` under
 * symbols. A context has `req` and a `header()` method, which tells it apart from other
 * arguments of a decorated handler.
 * @internal
 */
export const kit = createAdapterKit({
  namespace: '@mapp-s2s/hono',
  mountHint: "app.use(mappTracking(...)) before your routes",
  isRequest: (value): value is object =>
    typeof value === 'object' && value !== null && 'req' in value && typeof (value as { header?: unknown }).header === 'function',
});
