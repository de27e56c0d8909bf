import { notFound } from 'next/navigation';
import { PRODUCTS, findProduct } from '../../../lib/shop';

/** Pre-render every known product; unknown ids are 404s (the middleware knows that too). */
export function generateStaticParams(): Array<{ id: string }> {
  return PRODUCTS.map((product) => ({ id: product.id }));
}

export const dynamicParams = false;

/** A product page. Its `view` hit data comes from the middleware's `hitData` (lib/routes.ts). */
export default async function ProductPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const product = findProduct(id);
  if (!product) notFound();
  return (
    <>
      <h1>{product.name}</h1>
      <p>{product.price.toFixed(2)} EUR</p>
      <a href="/cart">Add to cart</a>
    </>
  );
}
