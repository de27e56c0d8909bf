import type { Request, Response } from 'express';
import { NoTracking, TrackAs, trackPage, type Tracker } from '@mapp-s2s/express';
import { CURRENCY, cartTotal, cents, demoCart } from '../../shop-kit/catalog.js';
import { adminPage, confirmationPage } from '../../shop-kit/pages.js';

/** The first value of a query parameter (Express may give arrays or objects). */
export function queryString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** An internal page: the whole class is opted out of tracking. */
@NoTracking()
export class AdminController {
  readonly #tracker: Tracker;

  constructor(tracker: Tracker) {
    this.#tracker = tracker;
  }

  index(_req: Request, res: Response): void {
    res.type('html').send(adminPage({ tracker: this.#tracker.stats() }));
  }
}

/** Checkout pages: every page view of this class gets the page type `checkout` (cp777). */
@TrackAs({ page: { type: 'checkout' } })
export class CheckoutController {
  confirmation(req: Request, res: Response): void {
    const orderId = queryString(req.query['order']) ?? `A-${Date.now().toString(36)}`;
    const lines = demoCart();
    trackPage(req, {
      order: { value: cartTotal(lines), id: orderId, currency: CURRENCY },
      products: lines.map((line) => ({ id: line.product.id, cost: cents(line.product.price * line.quantity), quantity: line.quantity })),
      productStatus: 'conf',
    });
    res.type('html').send(confirmationPage(orderId, lines));
  }
}
