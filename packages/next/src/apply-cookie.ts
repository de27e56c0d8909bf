/**
 * Adds the visitor cookie to whatever response goes out and returns the response to send.
 *
 * - `Set-Cookie` reaches the browser for every kind of response: `NextResponse.next()` and
 *   rewrites (Next merges middleware headers into the page's response), redirects and
 *   responses the middleware produced itself.
 * - `x-middleware-set-cookie` is how Next's own `response.cookies.set()` lets `cookies()`
 *   in pages, route handlers and server actions see a cookie set by middleware in the same
 *   request; we add ours the same way so a backend event can reuse a just-minted visitor id.
 *   Only responses that continue to the app carry it.
 * - Some responses have immutable headers (`Response.redirect()`, a `fetch()` result); those
 *   are copied first so the user's response is never broken.
 */
export function applyCookie(response: Response, setCookie: string): Response {
  const continues = response.headers.has('x-middleware-next') || response.headers.has('x-middleware-rewrite');
  const write = (target: Response): Response => {
    target.headers.append('set-cookie', setCookie);
    if (continues) {
      const earlier = target.headers.get('x-middleware-set-cookie');
      target.headers.set('x-middleware-set-cookie', earlier ? `${earlier},${setCookie}` : setCookie);
    }
    return target;
  };
  try {
    return write(response);
  } catch {
    // Immutable headers: copy status, headers and body into a mutable response.
    return write(new Response(response.body, response));
  }
}
