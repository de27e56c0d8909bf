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
  const continues = continuesToApp(response);
  return editHeaders(response, (headers) => {
    headers.append('set-cookie', setCookie);
    if (continues) {
      const earlier = headers.get('x-middleware-set-cookie');
      headers.set('x-middleware-set-cookie', earlier ? `${earlier},${setCookie}` : setCookie);
    }
  });
}

/** `true` for `NextResponse.next()` and rewrites: the request goes on to a page or route. @internal */
export function continuesToApp(response: Response): boolean {
  return response.headers.has('x-middleware-next') || response.headers.has('x-middleware-rewrite');
}

/**
 * Applies `edit` to the response's headers and returns the response to send. Some responses
 * have immutable headers (`Response.redirect()`, a `fetch()` result): those are copied first
 * (status, headers and body), so the user's response is never broken.
 */
function editHeaders(response: Response, edit: (headers: Headers) => void): Response {
  try {
    edit(response.headers);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    edit(copy.headers);
    return copy;
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
  if (!continuesToApp(response)) return response;
  return editHeaders(response, (headers) => {
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
  });
}
