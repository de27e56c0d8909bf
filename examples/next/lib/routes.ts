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
  return product !== null && productIdOf(product[1] ?? '') !== undefined;
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
  const viewed = match ? productIdOf(match[1] ?? '') : undefined;
  if (viewed !== undefined) {
    const product = productFor(viewed);
    return { products: [{ id: product.id, cost: product.price, quantity: 1 }], productStatus: 'view' };
  }
  const added = request.nextUrl.pathname === '/cart' ? request.nextUrl.searchParams.get('add') : null;
  if (added) {
    const product = productFor(added);
    return { products: [{ id: product.id, cost: product.price, quantity: 1 }], productStatus: 'add' };
  }
  return undefined;
}

/**
 * Pages that send their own page view because only they know its data: the confirmation
 * page adds the order. The middleware still sets the visitor cookie for them.
 */
export function tracksItself(request: NextRequest): boolean {
  return request.nextUrl.pathname.replace(/\/+$/, '') === '/checkout/confirmation';
}
