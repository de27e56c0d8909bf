import { createAdapterKit } from '@mapp-s2s/core';

/**
 * This adapter's per-request state and helpers. The state sits on the Fastify request under
 * symbols. A Fastify request has a string `method` and its Node request at `raw`, which tells
 * it apart from the reply among a decorated handler's `(request, reply)` arguments.
 * @internal
 */
export const kit = createAdapterKit({
  namespace: '@mapp-s2s/fastify',
  mountHint: 'register it once, before your routes: app.register(mappTracking, options)',
  isRequest: (value): value is object =>
    typeof value === 'object' && value !== null && typeof (value as { method?: unknown }).method === 'string' && 'raw' in value && 'routeOptions' in value,
});
