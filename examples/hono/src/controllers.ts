import type { Context } from 'hono';
import { NoTracking, TrackAs, trackPage, type Tracker } from '@mapp-s2s/hono';
import { CURRENCY, cartTotal, cents, demoCart } from '../../shop-kit/catalog.js';
import { adminPage, confirmationPage } from '../../shop-kit/pages.js';

/** An internal page: the whole class is opted out of tracking. */
@NoTracking()
export class AdminController {
  readonly #tracker: Tracker;

  constructor(tracker: Tracker) {
    this.#tracker = tracker;
  }

  index(c: Context): Response {
    return c.html(adminPage({ tracker: this.#tracker.stats() }));
  }
}

/** Checkout pages: every page view of this class gets the page type `checkout` (cp777). */
@TrackAs({ page: { type: 'checkout' } })
export class CheckoutController {
  confirmation(c: Context): Response {
    const orderId = c.req.query('order') ?? `A-${Date.now().toString(36)}`;
    const lines = demoCart();
    trackPage(c, {
      order: { value: cartTotal(lines), id: orderId, currency: CURRENCY },
      products: lines.map((line) => ({ id: line.product.id, cost: cents(line.product.price * line.quantity), quantity: line.quantity })),
      productStatus: 'conf',
    });
    return c.html(confirmationPage(orderId, lines));
  }
}
