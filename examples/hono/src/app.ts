import type { RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { mappPixelProxy, mappTracking, noTracking, trackEvent, trackPage, type Tracker, type TrackerOptions } from '@mapp-s2s/hono';
import { createTracker } from '@mapp-s2s/core/node';
import { registerPrometheusMetrics } from '@mapp-s2s/metrics';
import { Registry } from 'prom-client';
import { demoCart, productFor } from '../../shop-kit/catalog.js';
import { cartPage, errorPage, errorStatus, homePage, notFoundPage, productPage } from '../../shop-kit/pages.js';
import { pixelPage, TRACK_IDS } from '../../shop-kit/pixel-page.js';
import { smartPixelBundle } from '../../shop-kit/smart-pixel-bundle.js';
import { STYLESHEET } from '../../shop-kit/styles.js';
import { AdminController, CheckoutController } from './controllers.js';

/** The shop, its tracker (close it on shutdown) and its metrics. */
export interface Shop {
  app: Hono;
  tracker: Tracker;
  /** The tracker's Prometheus metrics, served at `/metrics`. */
  metrics: Registry;
}

/** A thrown error answers the shop's plain error page (an `HTTPException`'s 4xx keeps its status). */
export function shopErrorHandler(error: Error, c: Context): Response {
  const status = errorStatus(error);
  if (status >= 500) console.error(`example-hono-shop: ${c.req.method} ${c.req.path} failed:`, error);
  return c.html(errorPage(status), status as 400, { 'cache-control': 'no-store' });
}

/**
 * Builds the demo shop. It runs on Node (`@hono/node-server`), so its tracker comes from
 * `@mapp-s2s/core/node`: batching and the `spool` transport. In a worker, leave `tracker` out:
 * `mappTracking(options)` then sends each hit directly inside `executionCtx.waitUntil()`.
 */
export function createShop(options: TrackerOptions): Shop {
  const tracker = createTracker(options);
  const app = new Hono();

  // Smart Pixel pass-through at /mapp/pixel, before the page tracking (it answers those
  // requests itself) and sharing its tracker. MAPP_PIXEL_MODE=forward|queue picks the mode.
  app.use(mappPixelProxy({ ...options, tracker }));
  // Then the page tracking: page views are decided once each route below has answered.
  app.use(mappTracking({ tracker }));

  const bundle = smartPixelBundle('hono');
  app.get('/static/smart-pixel.js', (c) => c.body(new Uint8Array(bundle()), 200, { 'content-type': 'text/javascript', 'cache-control': 'public, max-age=3600' }));
  const trackId = options.trackId ?? process.env['MAPP_TRACK_ID'] ?? '';
  // The pixel itself tracks this page: a server page view as well would count it twice.
  app.get('/pixel', noTracking(), (c) => (TRACK_IDS.test(trackId) ? c.html(pixelPage(trackId)) : c.text('MAPP_TRACK_ID must be one or more 15-digit track ids', 500)));

  app.get('/static/app.css', (c) => c.body(STYLESHEET, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }));

  app.get('/', (c) => c.html(homePage()));

  app.get('/products/:id', (c) => {
    const product = productFor(c.req.param('id'));
    if (product === undefined) return c.html(notFoundPage(c.req.path), 404);
    trackPage(c, { products: [{ id: product.id, cost: product.price, quantity: 1 }], productStatus: 'view' });
    return c.html(productPage(product));
  });

  app.get('/cart', (c) => {
    const addedId = c.req.query('add');
    const added = addedId === undefined ? undefined : productFor(addedId);
    if (added !== undefined) trackPage(c, { products: [{ id: added.id, cost: added.price, quantity: 1 }], productStatus: 'add' });
    return c.html(cartPage(demoCart(), added, `A-${Date.now().toString(36)}`));
  });

  // A form post is no page view; its backend event shares the visitor of the page around it.
  // The address itself is not sent to Mapp.
  app.post('/newsletter', (c) => {
    void trackEvent(c, { action: { name: 'newsletter_signup', parameters: { 1: 'home' } } });
    return c.redirect('/', 303);
  });

  const checkout = new CheckoutController();
  app.get('/checkout/confirmation', (c) => checkout.confirmation(c));

  app.get('/health', noTracking(), (c) => c.text('ok'));

  // The tracker's counters for Prometheus: read from tracker.stats() at each scrape. A registry
  // per shop, not prom-client's global one, so several shops can run in one process (tests).
  const metrics = new Registry();
  registerPrometheusMetrics(tracker, { registry: metrics });
  app.get('/metrics', noTracking(), async (c) => c.body(await metrics.metrics(), 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }));

  const admin = new AdminController(tracker);
  app.get('/admin', (c) => admin.index(c));

  app.get('/api/status', (c) => c.json({ status: 'ok', tracking: tracker.stats() }));

  app.notFound((c) => c.html(notFoundPage(c.req.path), 404));
  app.onError(shopErrorHandler);

  return { app, tracker, metrics };
}

/** The shop as a Node request listener (`@hono/node-server`), as `server.ts` serves it. */
export function nodeListener(app: Hono): RequestListener {
  return getRequestListener(app.fetch);
}
