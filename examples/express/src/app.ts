import express, { type ErrorRequestHandler, type Express } from 'express';
import { mappTracking, noTracking, trackEvent, trackPage, type ExpressTrackingOptions, type Tracker } from '@mapp-s2s/express';
import { registerPrometheusMetrics } from '@mapp-s2s/metrics';
import { Registry } from 'prom-client';
import { demoCart, productFor } from '../../shop-kit/catalog.js';
import { AdminController, CheckoutController, queryString } from './controllers.js';
import { cartPage, errorPage, errorStatus, homePage, notFoundPage, productPage } from '../../shop-kit/pages.js';
import { mountPixelProxy, mountSmartPixelPage } from './smart-pixel.js';
import { STYLESHEET } from '../../shop-kit/styles.js';

/** The shop, the tracker behind its middleware (close it on shutdown) and its metrics. */
export interface Shop {
  app: Express;
  tracker: Tracker;
  /** The tracker's Prometheus metrics, served at `/metrics`. */
  metrics: Registry;
}

/**
 * Builds the demo shop. `framework` is the `express` module to use (Express 5 by default;
 * the adapter's tests pass Express 4 to run the same shop on it).
 */
export function createShop(options: ExpressTrackingOptions, framework: typeof express = express): Shop {
  const app = framework();
  app.disable('x-powered-by');

  const tracking = mappTracking(options);
  // Smart Pixel pass-through at /mapp/pixel, first: the page tracking never sees its requests.
  mountPixelProxy(app, options, tracking.tracker);
  // One middleware before every route: page views are decided when each response finishes.
  app.use(tracking);

  // The pixel bundle and a /pixel demo page.
  mountSmartPixelPage(app, options);

  app.get('/static/app.css', (_req, res) => {
    res.type('css').set('cache-control', 'public, max-age=3600').send(STYLESHEET);
  });

  app.get('/', (_req, res) => {
    res.type('html').send(homePage());
  });

  app.get('/products/:id', (req, res) => {
    const product = productFor(String(req.params['id']));
    if (product === undefined) {
      res.status(404).type('html').send(notFoundPage(req.path));
      return;
    }
    trackPage(req, { products: [{ id: product.id, cost: product.price, quantity: 1 }], productStatus: 'view' });
    res.type('html').send(productPage(product));
  });

  app.get('/cart', (req, res) => {
    const addedId = queryString(req.query['add']);
    const added = addedId === undefined ? undefined : productFor(addedId);
    if (added !== undefined) trackPage(req, { products: [{ id: added.id, cost: added.price, quantity: 1 }], productStatus: 'add' });
    res.type('html').send(cartPage(demoCart(), added, `A-${Date.now().toString(36)}`));
  });

  // A form post is no page view; its backend event shares the visitor of the page around it.
  // The address itself is not sent to Mapp.
  app.post('/newsletter', (req, res) => {
    void trackEvent(req, { action: { name: 'newsletter_signup', parameters: { 1: 'home' } } });
    res.redirect(303, '/');
  });

  const checkout = new CheckoutController();
  app.get('/checkout/confirmation', (req, res) => checkout.confirmation(req, res));

  app.get('/health', noTracking(), (_req, res) => {
    res.type('text').send('ok');
  });

  // The tracker's counters for Prometheus: read from tracker.stats() at each scrape. A registry
  // per shop, not prom-client's global one, so several shops can run in one process (tests).
  const metrics = new Registry();
  registerPrometheusMetrics(tracking.tracker, { registry: metrics });
  app.get('/metrics', noTracking(), async (_req, res) => {
    res.type(metrics.contentType).set('cache-control', 'no-store').send(await metrics.metrics());
  });

  const admin = new AdminController(tracking.tracker);
  app.get('/admin', (req, res) => admin.index(req, res));

  app.get('/api/status', (_req, res) => {
    res.json({ status: 'ok', tracking: tracking.tracker.stats() });
  });

  app.use((req, res) => {
    res.status(404).type('html').send(notFoundPage(req.path));
  });
  app.use(shopErrorHandler);

  return { app, tracker: tracking.tracker, metrics };
}

/**
 * Last in the chain: a thrown error (or Express's own 400 for a malformed escape such as
 * `/products/%`) answers the shop's plain error page. Express's default handler would show
 * the stack, with absolute paths, whenever NODE_ENV is not `production`.
 */
export const shopErrorHandler: ErrorRequestHandler = function shopErrorHandler(error: unknown, req, res, next) {
  if (res.headersSent) {
    next(error); // Express then cuts the connection: the page is half sent.
    return;
  }
  const status = errorStatus(error);
  if (status >= 500) console.error(`example-express-shop: ${req.method} ${req.originalUrl} failed:`, error);
  res.status(status).type('html').set('cache-control', 'no-store').send(errorPage(status));
};
