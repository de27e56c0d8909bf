import { createPixelRoute } from '@mapp-s2s/next';

/**
 * Smart Pixel requests routed through this server (`sendViaServer`): the pixel's hits get the
 * visitor's IP, user agent and visitor cookie from here. Same env settings as lib/mapp.ts.
 */
export const { GET, HEAD, POST } = createPixelRoute({
  // `next start` serves plain HTTP and Next believes any client's X-Forwarded-Proto:
  // only a proxy trusted by MAPP_TRUST_PROXY may say https (as in lib/mapp.ts).
  protocol: () => 'http',
});
