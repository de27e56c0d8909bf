/** The cart (static in this example). */
export default function Cart() {
  return (
    <>
      <h1>Cart</h1>
      <a href="/checkout/confirmation?order=A-1001">Place order</a>
    </>
  );
}
