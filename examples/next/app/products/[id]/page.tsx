import { notFound } from 'next/navigation';
import { productIdOf } from '../../../lib/routes';
import { productFor } from '../../../lib/shop';

/**
 * A product page (any well-formed id renders; a malformed escape such as `/products/%` is a
 * 404, as `isKnownRoute` tells the middleware). Its `view` hit data comes from the
 * middleware's `hitData` (lib/routes.ts).
 */
export default async function ProductPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const productId = productIdOf(id);
  if (productId === undefined) notFound();
  const product = productFor(productId);
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
