import { headers } from 'next/headers';
import { after } from 'next/server';
import { mapp } from '../../../lib/mapp';
import { CURRENCY, cartTotal, cents, demoCart } from '../../../lib/shop';
import { CartTable } from '../../components/cart-table';

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
 * Order confirmation. Middleware runs before the page and cannot know the order, so this
 * page sends its own page view with the order and its products (`st=conf`) once the
 * response is on its way (`after()`). The middleware skipped this page view
 * (`pageTracksItself`) but set the visitor cookie; `trackPageView` reads it from the
 * request, including one minted for this very request.
 */
export default async function Confirmation({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const query = await searchParams;
  const orderId = typeof query['order'] === 'string' && query['order'] !== '' ? query['order'] : 'A-0';
  const lines = demoCart();
  // Request APIs cannot be called inside after(): read them first.
  const requestHeaders = await headers();
  after(() =>
    mapp.trackPageView(
      {
        order: { id: orderId, value: cartTotal(lines), currency: CURRENCY },
        products: lines.map((line) => ({ id: line.product.id, cost: cents(line.product.price * line.quantity), quantity: line.quantity })),
        productStatus: 'conf',
      },
      { headers: requestHeaders, url: pagePath(query) },
    ),
  );
  return (
    <>
      <h1>Thank you!</h1>
      <p>
        Your order <strong>{orderId}</strong> is on its way.
      </p>
      <CartTable lines={lines} />
    </>
  );
}
