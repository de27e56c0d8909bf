import { createAdapterKit } from '@mapp-s2s/core';

/**
 * This adapter's per-request state and helpers, shared by every `mappTracking()` in the app.
 * Any object with a string `method` counts as a request for the decorators, since an error
 * handler gets the request second and `mappTracking()` may not have seen it yet.
 * @internal
 */
export const kit = createAdapterKit({
  namespace: '@mapp-s2s/express',
  mountHint: 'mount app.use(mappTracking(...)) before your routes',
  isRequest: (value): value is object => typeof value === 'object' && value !== null && typeof (value as { method?: unknown }).method === 'string',
});
