/** A desktop Chrome user agent that no bot list matches. */
export const BROWSER_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

/** What a browser sends when the user opens a page. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'user-agent': BROWSER_UA,
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'de-DE,de;q=0.9,en;q=0.8',
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
};

/** One answer from the shop, read completely. */
export interface ShopResponse {
  status: number;
  contentType: string;
  body: string;
  /** Every `Set-Cookie` value. */
  setCookies: string[];
}

/** Options of one request. */
export interface RequestOptions {
  method?: string;
  /** Replaces or adds headers; `undefined` removes one of the page defaults. */
  headers?: Readonly<Record<string, string | undefined>>;
  /** Sent as one `Cookie` header. */
  cookies?: Readonly<Record<string, string>>;
}

/** Requests `path` from the shop over real HTTP, as a browser opening a page would. */
export async function request(baseUrl: string, path: string, options: RequestOptions = {}): Promise<ShopResponse> {
  const headers: Record<string, string> = { ...PAGE_HEADERS };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  const cookies = Object.entries(options.cookies ?? {});
  if (cookies.length > 0) headers['cookie'] = cookies.map(([name, value]) => `${name}=${value}`).join('; ');
  const response = await fetch(baseUrl + path, { method: options.method ?? 'GET', headers, redirect: 'manual' });
  const body = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body,
    setCookies: response.headers.getSetCookie(),
  };
}

/** The value of cookie `name` among `Set-Cookie` values, if set. */
export function setCookieValue(setCookies: readonly string[], name: string): string | undefined {
  for (const cookie of setCookies) {
    const [pair] = cookie.split(';');
    const eq = pair?.indexOf('=') ?? -1;
    if (pair !== undefined && eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}
