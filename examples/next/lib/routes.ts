import type { HitData } from '@mapp-s2s/next';
import type { NextRequest } from 'next/server';
import { findProduct } from './shop';

const STATIC_ROUTES = new Set(['/', '/cart', '/checkout/confirmation', '/health', '/admin']);

/**
 * `true` when the app has a page for this path. Middleware runs before the route, so it
 * cannot see a 404: the shop tells it which paths exist.
 */
export function isKnownRoute(pathname: string): boolean {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  return STATIC_ROUTES.has(path) || /^\/products\/[^/]+$/.test(path);
}

/** Hit data known from the URL alone: a product page views its product. */
export function routeHitData(request: NextRequest): HitData | undefined {
  const match = /^\/products\/([^/]+)\/?$/.exec(request.nextUrl.pathname);
  if (!match) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(match[1] ?? '');
  } catch {
    return undefined; // malformed escapes: a plain page view
  }
  const product = findProduct(id);
  return { products: [{ id: product.id, cost: product.price, quantity: 1 }], productStatus: 'view' };
}

/**
 * Pages that send their own page view because only they know its data: the confirmation
 * page adds the order. The middleware still sets the visitor cookie for them.
 */
export function tracksItself(request: NextRequest): boolean {
  return request.nextUrl.pathname.replace(/\/+$/, '') === '/checkout/confirmation';
}
