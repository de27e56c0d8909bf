/**
 * The example shop's catalogue: the same shop as the Express and Koa examples, so the shared
 * conformance suite expects the same hits from every shop. An id outside the catalogue is a
 * 404, and every order confirmation shows the same demo cart.
 */

/** A product as the shop shows it. */
export interface Product {
  id: string;
  name: string;
  /** Unit price in EUR. */
  price: number;
}

/** One line of the (fixed) demo cart. */
export interface CartLine {
  product: Product;
  quantity: number;
}

/** The shop's currency. */
export const CURRENCY = 'EUR';

// A Map, not a plain object: ids come from the URL, and `__proto__`, `constructor` or
// `toString` must be unknown products like any other, not Object.prototype's members.
const CATALOGUE: ReadonlyMap<string, Omit<Product, 'id'>> = new Map([
  ['sku-1', { name: 'Trail running shoe', price: 89.9 }],
  ['sku-2', { name: 'Merino socks', price: 14.9 }],
  ['sku-3', { name: 'Rain jacket', price: 129 }],
  ['sku-4', { name: 'Water bottle', price: 19.5 }],
  // A non-ASCII id, as a German shop has them: its URL is percent-encoded UTF-8.
  ['Äpfel-grün', { name: 'Dried apple rings, green', price: 4.9 }],
]);

/** Products on the home page: the whole catalogue. */
export const FEATURED: readonly Product[] = [...CATALOGUE].map(([id, product]) => ({ id, ...product }));

/** The product with this id, or `undefined` when the catalogue has none (the page answers 404). */
export function productFor(id: string): Product | undefined {
  const known = CATALOGUE.get(id);
  return known === undefined ? undefined : { id, ...known };
}

/** The demo cart: always the same two lines, so an order confirmation is predictable. */
export function demoCart(): CartLine[] {
  return [
    { product: FEATURED[0]!, quantity: 2 },
    { product: FEATURED[1]!, quantity: 1 },
  ];
}

/** Rounds to cents (prices are decimals, sums must not show float noise). */
export function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Total of the cart lines. */
export function cartTotal(lines: readonly CartLine[]): number {
  return cents(lines.reduce((sum, line) => sum + line.product.price * line.quantity, 0));
}
