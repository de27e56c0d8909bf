import { notFound } from 'next/navigation';
import { productIdOf } from '../../../lib/routes';
import { productFor } from '../../../lib/shop';

/**
 * A product page: an id outside the catalogue (`__proto__` included) or a malformed escape
 * such as `/products/%` is a 404, as `isKnownRoute` tells the middleware. Its `view` hit data
 * comes from the middleware's `hitData` (lib/routes.ts).
 */
export default async function ProductPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const productId = productIdOf(id);
  const product = productId === undefined ? undefined : productFor(productId);
  if (product === undefined) notFound();
  return (
    <>
      <h1>{product.name}</h1>
      <p className="price">{product.price.toFixed(2)} EUR</p>
      <form method="get" action="/cart">
        <input type="hidden" name="add" value={product.id} />
        <button type="submit">Add to cart</button>
      </form>
    </>
  );
}
