import { headers } from 'next/headers';
import { after } from 'next/server';
import { mapp } from '../../../lib/mapp';
import { orderLines, orderValue } from '../../../lib/shop';

type SearchParams = Record<string, string | string[] | undefined>;

/** The page's own URL (pages get no request URL): path plus the query as received. */
function pagePath(searchParams: SearchParams): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(searchParams)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) query.append(name, item);
  }
  const search = query.toString();
  return `/checkout/confirmation${search ? `?${search}` : ''}`;
}

/**
 * Order confirmation. Middleware cannot know the order, so this page sends its own page
 * view with the order and its products (`st=conf`) once the response is sent (`after()`).
 * The middleware skipped this page view (`pageTracksItself`) but set the visitor cookie;
 * `trackPageView` reads it from the request, including one minted for this very request.
 */
export default async function Confirmation({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const query = await searchParams;
  const orderId = typeof query['order'] === 'string' && query['order'] !== '' ? query['order'] : 'A-1001';
  const lines = orderLines();
  const value = orderValue(lines);
  // Request APIs cannot be called inside after(): read them first.
  const requestHeaders = await headers();
  after(() =>
    mapp.trackPageView(
      {
        order: { id: orderId, value, currency: 'EUR' },
        products: lines.map((line) => ({ id: line.product.id, cost: line.total, quantity: line.quantity })),
        productStatus: 'conf',
      },
      { headers: requestHeaders, url: pagePath(query) },
    ),
  );
  return (
    <>
      <h1>Thank you!</h1>
      <p>
        Order {orderId}: {value.toFixed(2)} EUR
      </p>
    </>
  );
}
