import type { Context } from 'koa';
import { NoTracking, TrackAs, trackPage, type Tracker } from '@mapp-s2s/koa';
import { CURRENCY, cartTotal, cents, demoCart } from '../../shop-kit/catalog.js';
import { adminPage, confirmationPage } from '../../shop-kit/pages.js';

/** The first value of a query parameter (Koa gives arrays for repeated names). */
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

  index(ctx: Context): void {
    ctx.type = 'html';
    ctx.body = adminPage({ tracker: this.#tracker.stats() });
  }
}

/** Checkout pages: every page view of this class gets the page type `checkout` (cp777). */
@TrackAs({ page: { type: 'checkout' } })
export class CheckoutController {
  confirmation(ctx: Context): void {
    const orderId = queryString(ctx.query['order']) ?? `A-${Date.now().toString(36)}`;
    const lines = demoCart();
    trackPage(ctx, {
      order: { value: cartTotal(lines), id: orderId, currency: CURRENCY },
      products: lines.map((line) => ({ id: line.product.id, cost: cents(line.product.price * line.quantity), quantity: line.quantity })),
      productStatus: 'conf',
    });
    ctx.type = 'html';
    ctx.body = confirmationPage(orderId, lines);
  }
}
