import { createAdapterKit } from '@mapp-s2s/core';

/**
 * This adapter's per-request state and helpers. The state sits on the Node request
 * (`IncomingMessage`): Nest's Express platform hands it to middleware and handlers alike,
 * its Fastify platform hands middleware the Node request and handlers a Fastify request whose
 * `raw` it is (see `carrierOf`).
 * @internal
 */
export const kit = createAdapterKit({
  namespace: '@mapp-s2s/nestjs',
  mountHint: 'import MappTrackingModule.forRoot(...) (or forRootAsync) into your root module',
  isRequest: (value): value is object =>
    typeof value === 'object' && value !== null && typeof (value as { method?: unknown }).method === 'string' && typeof (value as { headers?: unknown }).headers === 'object',
});

/** The Node request behind a Nest request of either platform. @internal */
export function carrierOf(request: object): object {
  const raw = (request as { raw?: unknown }).raw;
  return typeof raw === 'object' && raw !== null ? raw : request;
}
