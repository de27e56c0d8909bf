/**
 * The example shop's data: the same table as the Express and Koa examples, so the shared
 * conformance suite expects the same hits from every shop.
 */

/** A product of the example shop. */
export interface Product {
  id: string;
  name: string;
  /** Unit price in EUR. */
  price: number;
  category: string;
}

/** A placed order, as the confirmation page shows it. */
export interface Order {
  id: string;
  items: ReadonlyArray<{ productId: string; quantity: number }>;
}

/** The catalogue. */
export const PRODUCTS: readonly Product[] = [
  { id: 'espresso-cup', name: 'Espresso cup', price: 12.5, category: 'kitchen' },
  { id: 'teapot', name: 'Teapot', price: 34.9, category: 'kitchen' },
  { id: 'notebook', name: 'Notebook', price: 7.25, category: 'office' },
];

/** Orders the confirmation page knows. */
export const ORDERS: readonly Order[] = [
  { id: 'A-1001', items: [{ productId: 'espresso-cup', quantity: 2 }, { productId: 'notebook', quantity: 1 }] },
];

/** The product with this id, if any. */
export function findProduct(id: string): Product | undefined {
  return PRODUCTS.find((product) => product.id === id);
}

/** The order with this id, if any. */
export function findOrder(id: string): Order | undefined {
  return ORDERS.find((order) => order.id === id);
}

/** Order lines with their product and line total (`co` is the total for the quantity). */
export function orderLines(order: Order): Array<{ product: Product; quantity: number; total: number }> {
  return order.items.flatMap((item) => {
    const product = findProduct(item.productId);
    return product ? [{ product, quantity: item.quantity, total: Math.round(product.price * item.quantity * 100) / 100 }] : [];
  });
}

/** Sum of the order lines. */
export function orderValue(order: Order): number {
  return Math.round(orderLines(order).reduce((sum, line) => sum + line.total, 0) * 100) / 100;
}
