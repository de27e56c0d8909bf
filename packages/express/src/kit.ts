import { createAdapterKit } from '@mapp-s2s/core';

/**
 * This adapter's per-request state and helpers, shared by every `mappTracking()` in the app.
 * Any object with a string `method` counts as a request for the decorators, since an error
 * handler gets the request second and `mappTracking()` may not have seen it yet.
 * @internal
 */
export const kit = createAdapterKit({
  namespace: '@mapp-s2s/express',
  mountHint: 'mount app.use(mappTracking(...)) before your routes, and add to res.locals rather than replace it (the request state is kept there)',
  isRequest: (value): value is object => typeof value === 'object' && value !== null && typeof (value as { method?: unknown }).method === 'string',
  // The state sits in `res.locals` (a null-prototype object Express creates per request), not
  // on `req`: adding a property to an Express `req` (many properties, a swapped prototype)
  // cost about 4 µs per request, a `WeakMap` far more in garbage collection (measured,
  // bench/request-path.mjs). Both `req` and `res` lead to it.
  stateHolder: (carrier) => (carrier as { res?: { locals?: object } }).res?.locals ?? (carrier as { locals?: object }).locals,
});
