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

/**
 * The request header that tells a page rendering for this request (and `trackPageView`, which
 * sees only `await headers()`) the request's method: Next renders pages for `HEAD` and for
 * server-action `POST`s too, and a page cannot read the method itself. Set by the middleware
 * through Next's request-header override; a client's own value never reaches the page.
 * @internal
 */
export const METHOD_HEADER = 'x-mapp-s2s-method';

const OVERRIDE = 'x-middleware-override-headers';
const REQUEST_PREFIX = 'x-middleware-request-';

/**
 * Passes the request's method on to the render when it is not `GET`, and removes a
 * client-sent {@link METHOD_HEADER} either way. Uses the request-header override of
 * `NextResponse.next({ request: { headers } })` (`x-middleware-override-headers` with one
 * `x-middleware-request-<name>` per header), merged with an override the user's middleware
 * set. Only responses that continue to the app are touched.
 */
export function forwardMethod(response: Response, request: Request): Response {
  const spoofed = request.headers.has(METHOD_HEADER);
  if (request.method === 'GET' && !spoofed) return response;
  if (!response.headers.has('x-middleware-next') && !response.headers.has('x-middleware-rewrite')) return response;
  const write = (target: Response): Response => {
    const headers = target.headers;
    const listed = headers.get(OVERRIDE);
    let names: string[];
    if (listed === null) {
      names = [];
      request.headers.forEach((value, name) => {
        if (name === METHOD_HEADER) return;
        names.push(name);
        headers.set(`${REQUEST_PREFIX}${name}`, value);
      });
    } else {
      names = listed.split(',').filter((name) => name !== '' && name !== METHOD_HEADER);
    }
    headers.delete(`${REQUEST_PREFIX}${METHOD_HEADER}`);
    if (request.method !== 'GET') {
      names.push(METHOD_HEADER);
      headers.set(`${REQUEST_PREFIX}${METHOD_HEADER}`, request.method);
    }
    headers.set(OVERRIDE, names.join(','));
    return target;
  };
  try {
    return write(response);
  } catch {
    return write(new Response(response.body, response));
  }
}
