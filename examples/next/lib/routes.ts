import type { HitData } from '@mapp-s2s/next';
import type { NextRequest } from 'next/server';
import { productFor } from './shop';

const STATIC_ROUTES = new Set(['/', '/cart', '/checkout/confirmation', '/health', '/admin', '/newsletter']);

/**
 * `true` when the app has a page for this path. Middleware runs before the route, so it
 * cannot see a 404: the shop tells it which paths exist.
 */
export function isKnownRoute(pathname: string): boolean {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  if (STATIC_ROUTES.has(path) || path.startsWith('/mapp/pixel')) return true;
  const product = /^\/products\/([^/]+)$/.exec(path);
  const productId = product === null ? undefined : productIdOf(product[1] ?? '');
  return productId !== undefined && productFor(productId) !== undefined;
}

/** URL text decoded, or `undefined` for a malformed percent-escape (`%`, `%E0%A4%A`): user input is never decoded unguarded. */
function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** `true` when the path has no malformed percent-escape. */
export function isDecodablePath(pathname: string): boolean {
  return decoded(pathname) !== undefined;
}

/**
 * The product id in a `/products/[id]` path segment, or `undefined` when the segment is no
 * valid percent-encoding (`/products/%`): the page answers 404 for it and the middleware,
 * through `isKnownRoute`, sends no page view.
 */
export function productIdOf(segment: string): string | undefined {
  return decoded(segment);
}

/**
 * Hit data known from the URL alone: a product page views its product, `/cart?add=ID`
 * adds one. The products' prices come from the catalogue, as the pages show them.
 */
export function routeHitData(request: NextRequest): HitData | undefined {
  const match = /^\/products\/([^/]+)\/?$/.exec(request.nextUrl.pathname);
  const viewedId = match ? productIdOf(match[1] ?? '') : undefined;
  const viewed = viewedId === undefined ? undefined : productFor(viewedId);
  if (viewed !== undefined) return { products: [{ id: viewed.id, cost: viewed.price, quantity: 1 }], productStatus: 'view' };
  const added = request.nextUrl.pathname === '/cart' ? request.nextUrl.searchParams.get('add') : null;
  const product = added ? productFor(added) : undefined;
  return product === undefined ? undefined : { products: [{ id: product.id, cost: product.price, quantity: 1 }], productStatus: 'add' };
}

/**
 * Pages that send their own page view because only they know its data: the confirmation
 * page adds the order. The middleware still sets the visitor cookie for them.
 */
export function tracksItself(request: NextRequest): boolean {
  return request.nextUrl.pathname.replace(/\/+$/, '') === '/checkout/confirmation';
}
