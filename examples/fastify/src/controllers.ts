import type { FastifyReply, FastifyRequest } from 'fastify';
import { NoTracking, TrackAs, type Tracker } from '@mapp-s2s/fastify';
import { CURRENCY, cartTotal, cents, demoCart } from '../../shop-kit/catalog.js';
import { adminPage, confirmationPage } from '../../shop-kit/pages.js';
import { queryString } from '../../shop-kit/query.js';


/** An internal page: the whole class is opted out of tracking. */
@NoTracking()
export class AdminController {
  readonly #tracker: Tracker;

  constructor(tracker: Tracker) {
    this.#tracker = tracker;
  }

  index(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
    return reply.type('text/html').send(adminPage({ tracker: this.#tracker.stats() }));
  }
}

/** Checkout pages: every page view of this class gets the page type `checkout` (cp777). */
@TrackAs({ page: { type: 'checkout' } })
export class CheckoutController {
  confirmation(request: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply: FastifyReply): FastifyReply {
    const orderId = queryString(request.query['order']) ?? `A-${Date.now().toString(36)}`;
    const lines = demoCart();
    request.trackPage({
      order: { value: cartTotal(lines), id: orderId, currency: CURRENCY },
      products: lines.map((line) => ({ id: line.product.id, cost: cents(line.product.price * line.quantity), quantity: line.quantity })),
      productStatus: 'conf',
    });
    return reply.type('text/html').send(confirmationPage(orderId, lines));
  }
}
