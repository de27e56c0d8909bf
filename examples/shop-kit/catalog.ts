/** A product as the shop shows it. There is no catalog: any id renders. */
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

const KNOWN: Readonly<Record<string, Omit<Product, 'id'>>> = {
  'sku-1': { name: 'Trail running shoe', price: 89.9 },
  'sku-2': { name: 'Merino socks', price: 14.9 },
  'sku-3': { name: 'Rain jacket', price: 129 },
  'sku-4': { name: 'Water bottle', price: 19.5 },
};

/** Products on the home page. */
export const FEATURED: readonly string[] = Object.keys(KNOWN);

/** The product with this id; unknown ids get a made-up name and a stable price. */
export function productFor(id: string): Product {
  const known = KNOWN[id];
  if (known !== undefined) return { id, ...known };
  let hash = 0;
  for (const char of id) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 9000;
  return { id, name: `Product ${id}`, price: 10 + hash / 100 };
}

/** The demo cart: always the same two lines, so an order confirmation is predictable. */
export function demoCart(): CartLine[] {
  return [
    { product: productFor('sku-1'), quantity: 2 },
    { product: productFor('sku-2'), quantity: 1 },
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
