export { createPixelProxy } from './create-pixel-proxy.js';
export type { CreatePixelProxySettings } from './create-pixel-proxy.js';
export type { DroppedRequests, PageNamePattern } from './dropped-requests.js';
export { pixelGif } from './gif.js';
export { createPixelFailure } from './pixel-failure.js';
export { mappCookieNames } from './mapp-cookies.js';
export { PIXEL_OPTION_KEYS } from './pixel-options.js';
export type {
  PixelProxyEvent,
  PixelProxyHandler,
  PixelProxyMode,
  PixelProxyOptions,
  PixelRejectReason,
  PixelRequestExtras,
  PixelSkipReason,
} from './types.js';
