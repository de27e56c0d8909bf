/**
 * The tracker's own answer: a transparent 1×1 GIF, 43 bytes (PROTOCOL.md §1).
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
 * The immediate answer of `queue` mode, opt-out and fallback: `200`, `image/gif`, 43 bytes,
 * no-cache (PROTOCOL.md §9 step 4). `HEAD` gets the same headers and no body.
 */
export function gifResponse(options: { head?: boolean; setCookies?: readonly string[] } = {}): Response {
  const headers = new Headers({ 'Content-Type': 'image/gif', 'Content-Length': String(GIF_BYTES.length), ...NO_CACHE_HEADERS });
  for (const cookie of options.setCookies ?? []) headers.append('Set-Cookie', cookie);
  return new Response(options.head === true ? null : pixelGif(), { status: 200, headers });
}
