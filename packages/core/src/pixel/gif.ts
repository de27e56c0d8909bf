/**
 * The tracker's own answer: a transparent 1×1 GIF, 43 bytes (docs/protocol.md §1).
 * Kept as bytes (not base64 decoded at runtime) so the module has no `atob`/`Buffer` need.
 */
const GIF_BYTES = [
  0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00,
  0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
  0x02, 0x44, 0x01, 0x00, 0x3b,
];

/** A fresh copy of the 43-byte GIF every call, so no caller can mutate a shared buffer. */
export function pixelGif(): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(GIF_BYTES);
}

/** Headers that stop browsers and proxies from caching a tracking answer (each hit must reach us). */
export const NO_CACHE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-cache, no-store, must-revalidate, max-age=0',
  Pragma: 'no-cache',
  Expires: '0',
};

/**
 * On every pass-through answer, errors included: the body is ours and never Mapp's, and even
 * so no browser may sniff it into something else or run anything from it on the shop's origin.
 */
export const PASS_THROUGH_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'",
};

/**
 * The pixel's answer (docs/protocol.md §9 step 4): `200`, `image/gif`, the 43 bytes from §1,
 * no-cache, never Mapp's content type or body. `HEAD` gets the same headers and no body.
 */
export function gifResponse(options: { head?: boolean; setCookies?: readonly string[] } = {}): Response {
  const headers = new Headers({
    'Content-Type': 'image/gif',
    'Content-Length': String(GIF_BYTES.length),
    ...NO_CACHE_HEADERS,
    ...PASS_THROUGH_SECURITY_HEADERS,
  });
  for (const cookie of options.setCookies ?? []) headers.append('Set-Cookie', cookie);
  return new Response(options.head === true ? null : pixelGif(), { status: 200, headers });
}

/** The beacon's answer: `204`, no body (`sendBeacon` never reads one), no-cache. */
export function noContentResponse(options: { setCookies?: readonly string[] } = {}): Response {
  const headers = new Headers({ ...NO_CACHE_HEADERS, ...PASS_THROUGH_SECURITY_HEADERS });
  for (const cookie of options.setCookies ?? []) headers.append('Set-Cookie', cookie);
  return new Response(null, { status: 204, headers });
}

/**
 * What the browser gets for an accepted (or quietly skipped) pixel request, in both modes:
 * the GIF for `GET`, its headers for `HEAD`, `204` for a beacon `POST`.
 */
export function pixelAnswer(method: string, setCookies: readonly string[] = []): Response {
  if (method === 'POST') return noContentResponse({ setCookies });
  return gifResponse({ head: method === 'HEAD', setCookies });
}
