import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { mappPixelProxy, mappTracking, noTracking, trackEvent, trackPage, type FastifyTrackingOptions, type Tracker } from '@mapp-s2s/fastify';
import { registerPrometheusMetrics } from '@mapp-s2s/metrics';
import { Registry } from 'prom-client';
import { demoCart, productFor } from '../../shop-kit/catalog.js';
import { cartPage, errorPage, errorStatus, homePage, notFoundPage, productPage } from '../../shop-kit/pages.js';
import { pixelPage, TRACK_IDS } from '../../shop-kit/pixel-page.js';
import { smartPixelBundle } from '../../shop-kit/smart-pixel-bundle.js';
import { STYLESHEET } from '../../shop-kit/styles.js';
import { queryString } from '../../shop-kit/query.js';
import { AdminController, CheckoutController } from './controllers.js';

/** The shop, the tracker behind its plugin and its metrics. `app.close()` closes the tracker. */
export interface Shop {
  app: FastifyInstance;
  tracker: Tracker;
  /** The tracker's Prometheus metrics, served at `/metrics`. */
  metrics: Registry;
}

type Query = { Querystring: Record<string, unknown> };

/** Answers a thrown error (or Fastify's own 400 for a malformed URL) with the shop's plain error page. */
export function shopErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = errorStatus(error);
  if (status >= 500) console.error(`example-fastify-shop: ${request.method} ${request.url} failed:`, error);
  return reply.code(status).type('text/html').header('cache-control', 'no-store').send(errorPage(status));
}

/** Builds the demo shop, ready to serve (`app.routing` is its Node request listener). */
export async function createShop(options: FastifyTrackingOptions): Promise<Shop> {
  const app = Fastify({
    // A malformed escape in the path (`/products/%`) answers the shop's 400 page, not Fastify's JSON.
    frameworkErrors: (error, request, reply) => shopErrorHandler(error, request, reply),
  });

  // Registered first and app-wide: page views are decided when each response has gone out.
  await app.register(mappTracking, options);
  const tracker = app.mappTracker;

  // Smart Pixel pass-through at /mapp/pixel (same tracker, so hits share its transport), the
  // pixel bundle and a /pixel demo page. MAPP_PIXEL_MODE=forward|queue picks the mode.
  const { tracker: _shared, onError: _onError, ...trackerOptions } = options;
  await app.register(mappPixelProxy, { ...trackerOptions, tracker });
  const bundle = smartPixelBundle('fastify');
  app.get('/static/smart-pixel.js', (_request, reply) => reply.type('text/javascript').header('cache-control', 'public, max-age=3600').send(bundle()));
  const trackId = options.trackId ?? process.env['MAPP_TRACK_ID'] ?? '';
  // The pixel itself tracks this page: a server page view as well would count it twice.
  app.get('/pixel', { config: { mappTracking: false } }, (_request, reply) => {
    if (!TRACK_IDS.test(trackId)) return reply.code(500).type('text/plain').send('MAPP_TRACK_ID must be one or more 15-digit track ids');
    return reply.type('text/html').send(pixelPage(trackId));
  });

  // The newsletter form posts URL-encoded fields; Fastify parses only JSON and text itself.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  app.get('/static/app.css', (_request, reply) => reply.type('text/css').header('cache-control', 'public, max-age=3600').send(STYLESHEET));

  app.get('/', (_request, reply) => reply.type('text/html').send(homePage()));

  app.get<{ Params: { id: string } }>('/products/:id', (request, reply) => {
    const product = productFor(request.params.id);
    if (product === undefined) return reply.code(404).type('text/html').send(notFoundPage(request.url.split('?', 1)[0] ?? '/'));
    trackPage(request, { products: [{ id: product.id, cost: product.price, quantity: 1 }], productStatus: 'view' });
    return reply.type('text/html').send(productPage(product));
  });

  app.get<Query>('/cart', (request, reply) => {
    const addedId = queryString(request.query['add']);
    const added = addedId === undefined ? undefined : productFor(addedId);
    // The same as trackPage(request, …), through the request decorator.
    if (added !== undefined) request.trackPage({ products: [{ id: added.id, cost: added.price, quantity: 1 }], productStatus: 'add' });
    return reply.type('text/html').send(cartPage(demoCart(), added, `A-${Date.now().toString(36)}`));
  });

  // A form post is no page view; its backend event shares the visitor of the page around it.
  // The address itself is not sent to Mapp.
  app.post('/newsletter', (request, reply) => {
    void trackEvent(request, { action: { name: 'newsletter_signup', parameters: { 1: 'home' } } });
    return reply.redirect('/', 303);
  });

  const checkout = new CheckoutController();
  app.get<Query>('/checkout/confirmation', (request, reply) => checkout.confirmation(request, reply));

  // Opted out by route config: no visit, no cookie, no hit.
  app.get('/health', { config: { mappTracking: false } }, (_request, reply) => reply.type('text/plain').send('ok'));

  // The tracker's counters for Prometheus: read from tracker.stats() at each scrape. A registry
  // per shop, not prom-client's global one, so several shops can run in one process (tests).
  const metrics = new Registry();
  registerPrometheusMetrics(tracker, { registry: metrics });
  app.get('/metrics', { onRequest: noTracking() }, async (_request, reply) => reply.type(metrics.contentType).header('cache-control', 'no-store').send(await metrics.metrics()));

  const admin = new AdminController(tracker);
  app.get('/admin', (request, reply) => admin.index(request, reply));

  app.get('/api/status', () => ({ status: 'ok', tracking: tracker.stats() }));

  app.setNotFoundHandler((request, reply) => reply.code(404).type('text/html').send(notFoundPage(request.url.split('?', 1)[0] ?? '/')));
  app.setErrorHandler(shopErrorHandler);

  await app.ready();
  return { app, tracker, metrics };
}
