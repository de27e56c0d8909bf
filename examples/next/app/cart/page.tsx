import { demoCart, productFor } from '../../lib/shop';
import { CartTable } from '../components/cart-table';

/** The demo cart; `?add=ID` is tracked as an `add` of that product (the middleware's `hitData`). */
export default async function Cart({ searchParams }: { searchParams: Promise<{ add?: string | string[] }> }) {
  const { add } = await searchParams;
  const added = typeof add === 'string' && add !== '' ? productFor(add) : undefined;
  const orderId = `A-${Date.now().toString(36)}`;
  return (
    <>
      <h1>Your cart</h1>
      {added ? (
        <p>
          Added <strong>{added.name}</strong> to your cart.
        </p>
      ) : null}
      <CartTable lines={demoCart()} />
      <a href={`/checkout/confirmation?order=${encodeURIComponent(orderId)}`}>Place order</a>
    </>
  );
}
