import { headers } from 'next/headers';
import { notFound } from 'next/navigation';
import { after } from 'next/server';
import { mapp } from '../../../lib/mapp';
import { findOrder, orderLines, orderValue } from '../../../lib/shop';

/**
 * Order confirmation. Middleware cannot know the order, so this page sends its own page
 * view with the order and its products (`st=conf`) after the response is sent (`after()`).
 * The middleware skipped this page view (`pageTracksItself`) but set the visitor cookie;
 * `trackPageView` reads it from the request, including one minted for this very request.
 */
export default async function Confirmation({ searchParams }: { searchParams: Promise<{ order?: string | string[] }> }) {
  const { order: orderParam } = await searchParams;
  const order = typeof orderParam === 'string' ? findOrder(orderParam) : undefined;
  if (!order) notFound();
  const lines = orderLines(order);
  const value = orderValue(order);
  // Request APIs cannot be called inside after(): read them first.
  const requestHeaders = await headers();
  after(() =>
    mapp.trackPageView(
      {
        order: { id: order.id, value, currency: 'EUR' },
        products: lines.map((line) => ({ id: line.product.id, cost: line.total, quantity: line.quantity })),
        productStatus: 'conf',
      },
      { headers: requestHeaders, url: `/checkout/confirmation?order=${encodeURIComponent(order.id)}` },
    ),
  );
  return (
    <>
      <h1>Thank you!</h1>
      <p>
        Order {order.id}: {value.toFixed(2)} EUR
      </p>
    </>
  );
}
