/**
 * The example shop's data: the same shop as the Express and Koa examples, so the shared
 * conformance suite expects the same hits from every shop. Any product id has a page
 * (`/products/sku-42`); every order confirmation shows the same basket.
 */

/** A product of the example shop. */
export interface Product {
  id: string;
  name: string;
  /** Unit price in EUR. */
  price: number;
}

/** An order line: `total` is the cost for the quantity (Mapp's `co`). */
export interface OrderLine {
  product: Product;
  quantity: number;
  total: number;
}

/** The catalogue shown on the home page. */
export const PRODUCTS: readonly Product[] = [
  { id: 'sku-1', name: 'Espresso cup', price: 12.5 },
  { id: 'sku-2', name: 'Teapot', price: 34.9 },
  { id: 'sku-42', name: 'Notebook', price: 7.25 },
];

/** The product with this id; ids outside the catalogue get a generic product (the shop is a demo). */
export function findProduct(id: string): Product {
  return PRODUCTS.find((product) => product.id === id) ?? { id, name: id, price: 9.99 };
}

const round = (value: number): number => Math.round(value * 100) / 100;

/** The basket of every order in this demo: two espresso cups and a notebook. */
export function orderLines(): OrderLine[] {
  return [
    { product: findProduct('sku-1'), quantity: 2 },
    { product: findProduct('sku-42'), quantity: 1 },
  ].map((line) => ({ ...line, total: round(line.product.price * line.quantity) }));
}

/** Sum of the order lines. */
export function orderValue(lines: readonly OrderLine[]): number {
  return round(lines.reduce((sum, line) => sum + line.total, 0));
}
