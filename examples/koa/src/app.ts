import Koa from 'koa';
import Router from '@koa/router';
import { mappTracking, noTracking, trackEvent, trackPage, type KoaTrackingOptions, type Tracker } from '@mapp-s2s/koa';
import { registerPrometheusMetrics } from '@mapp-s2s/metrics';
import { Registry } from 'prom-client';
import { demoCart, productFor } from '../../shop-kit/catalog.js';
import { AdminController, CheckoutController, queryString } from './controllers.js';
import { cartPage, errorPage, errorStatus, homePage, notFoundPage, productPage } from '../../shop-kit/pages.js';
import { mountPixelProxy, mountSmartPixelPage } from './smart-pixel.js';
import { STYLESHEET } from '../../shop-kit/styles.js';

/** The shop, the tracker behind its middleware (close it on shutdown) and its metrics. */
export interface Shop {
  app: Koa;
  tracker: Tracker;
  /** The tracker's Prometheus metrics, served at `/metrics`. */
  metrics: Registry;
}

/**
 * Builds the demo shop. `KoaClass` is the `koa` export to use (Koa 3 by default; the
 * adapter's tests pass Koa 2 to run the same shop on it).
 */
export function createShop(options: KoaTrackingOptions, KoaClass: typeof Koa = Koa): Shop {
  const app = new KoaClass();

  const tracking = mappTracking(options);
  // Smart Pixel pass-through at /mapp/pixel, first: the page tracking never sees its requests.
  mountPixelProxy(app, options, tracking.tracker);
  // Before the routes: page views are decided once the routes below have run.
  app.use(tracking);
  // Inside the tracking middleware, so it records the error page's status like any answer.
  app.use(shopErrors);

  // The pixel bundle and a /pixel demo page.
  mountSmartPixelPage(app, options);

  const router = new Router();

  router.get('/static/app.css', (ctx) => {
    ctx.type = 'css';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = STYLESHEET;
  });

  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.body = homePage();
  });

  router.get('/products/:id', (ctx) => {
    const product = productFor(String(ctx.params['id']));
    if (product === undefined) {
      ctx.status = 404;
      ctx.type = 'html';
      ctx.body = notFoundPage(ctx.path);
      return;
    }
    trackPage(ctx, { products: [{ id: product.id, cost: product.price, quantity: 1 }], productStatus: 'view' });
    ctx.type = 'html';
    ctx.body = productPage(product);
  });

  router.get('/cart', (ctx) => {
    const addedId = queryString(ctx.query['add']);
    const added = addedId === undefined ? undefined : productFor(addedId);
    // The same as trackPage(ctx, …), through the per-request helpers.
    if (added !== undefined) ctx.state['mapp']?.trackPage({ products: [{ id: added.id, cost: added.price, quantity: 1 }], productStatus: 'add' });
    ctx.type = 'html';
    ctx.body = cartPage(demoCart(), added, `A-${Date.now().toString(36)}`);
  });

  // A form post is no page view; its backend event shares the visitor of the page around it.
  // The address itself is not sent to Mapp.
  router.post('/newsletter', (ctx) => {
    void trackEvent(ctx, { action: { name: 'newsletter_signup', parameters: { 1: 'home' } } });
    ctx.status = 303;
    ctx.redirect('/');
  });

  const checkout = new CheckoutController();
  router.get('/checkout/confirmation', (ctx) => checkout.confirmation(ctx));

  router.get('/health', noTracking(), (ctx) => {
    ctx.type = 'text';
    ctx.body = 'ok';
  });

  // The tracker's counters for Prometheus: read from tracker.stats() at each scrape. A registry
  // per shop, not prom-client's global one, so several shops can run in one process (tests).
  const metrics = new Registry();
  registerPrometheusMetrics(tracking.tracker, { registry: metrics });
  router.get('/metrics', noTracking(), async (ctx) => {
    ctx.type = metrics.contentType;
    ctx.set('cache-control', 'no-store');
    ctx.body = await metrics.metrics();
  });

  const admin = new AdminController(tracking.tracker);
  router.get('/admin', (ctx) => admin.index(ctx));

  router.get('/api/status', (ctx) => {
    ctx.body = { status: 'ok', tracking: tracking.tracker.stats() };
  });

  app.use(router.routes());
  app.use(router.allowedMethods());

  app.use((ctx) => {
    ctx.status = 404;
    ctx.type = 'html';
    ctx.body = notFoundPage(ctx.path);
  });

  return { app, tracker: tracking.tracker, metrics };
}

/**
 * A thrown error answers the shop's plain error page (a framework's 4xx keeps its status),
 * never the error's message or stack. 5xx errors still reach `app.on('error')`, Koa's log.
 */
export async function shopErrors(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  try {
    await next();
  } catch (error) {
    const status = errorStatus(error);
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('cache-control', 'no-store');
    ctx.body = errorPage(status);
    if (status >= 500) ctx.app.emit('error', error, ctx);
  }
}
