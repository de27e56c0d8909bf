import { findProduct } from '../../../lib/shop';

/** A product page. Its `view` hit data comes from the middleware's `hitData` (lib/routes.ts). */
export default async function ProductPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const product = findProduct(decodeURIComponent(id));
  return (
    <>
      <h1>{product.name}</h1>
      <p>{product.price.toFixed(2)} EUR</p>
      <a href="/cart">Add to cart</a>
    </>
  );
}
