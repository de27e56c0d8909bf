/**
 * @mapp-s2s/core: framework-neutral, edge-safe server-to-server tracking for Mapp
 * Intelligence. This entry uses only web-standard APIs; Node-only helpers live in
 * `@mapp-s2s/core/node`.
 */
export { createAdapterKit, createRequestTracking } from './adapter/index.js';
export type {
  AdapterErrorHandler,
  AdapterKit,
  AdapterKitSettings,
  AdapterTrackingOptions,
  FrameworkTrustWarning,
  PageHitData,
  PageTracking,
  RequestState,
  RequestStateStore,
  RequestTracking,
  RequestTrackingSettings,
  ResponseCookies,
  ResponseFacts,
  TrackingDecorator,
  TrackingDecorators,
  TrackingDecoratorSettings,
} from './adapter/index.js';
export { ACCEPT_CH, clientHintParams } from './client-hints.js';
export { validateLine } from './debug.js';
export { reportLossAtExit } from './exit-report.js';
export { cutText, encodeValue, MAX_LINE_BYTES, MAX_PRODUCT_ID_LENGTH, MAX_TEXT_LENGTH, travelsAlone } from './encode.js';
export { InvalidOptionError, MissingOptionError, TrackingError, UnknownOptionError, UnsupportedTransportError } from './errors.js';
export type { TrackingErrorCode } from './errors.js';
export { fromWebRequest } from './from-web-request.js';
export type { WebRequestExtras, WebRequestLike } from './from-web-request.js';
export { buildLine, PRODUCT_FOLLOW_UP_EVENT } from './hit.js';
export type { LineInput, LineResult } from './hit.js';
export { resolveOptions } from './options.js';
export type { ResolveSettings, ResolvedConfig, ResolvedCookieOptions, TrackerEnv } from './options.js';
export { defaultPageName, referrerField } from './page-name.js';
export { isStaticAsset } from './page-view.js';
export { createPixelFailure, createPixelProxy, mappCookieNames, PIXEL_OPTION_KEYS, pixelGif } from './pixel/index.js';
export type {
  CreatePixelProxySettings,
  DroppedRequests,
  PageNamePattern,
  PixelProxyEvent,
  PixelProxyHandler,
  PixelProxyMode,
  PixelProxyOptions,
  PixelRejectReason,
  PixelRequestExtras,
  PixelSkipReason,
} from './pixel/index.js';
export { isIpAddress } from './ip.js';
export { receivedUrl, requestFacts } from './request-facts.js';
export type { RequestFacts } from './request-facts.js';
export { createTracker, createTrackerWith, resolveWebTransport } from './tracker.js';
export type { CreateTrackerSettings, TransportResolver } from './tracker.js';
export { createBatchTransport } from './transport/batch.js';
export type { BatchTransportOptions } from './transport/batch.js';
export { createDirectTransport } from './transport/direct.js';
export type { DirectTransportOptions } from './transport/direct.js';
export { createMemoryTransport } from './transport/memory.js';
export type { MemoryTransport } from './transport/memory.js';
export { buildEidCookie, isEid, mintEid, readEid, readHandoverEid } from './visitor.js';
export { PROTOCOL_VERSION, SENDER_VERSION, senderPlatform } from './version.js';
export type { RuntimeGlobals, SenderPlatform } from './version.js';
export type * from './types.js';
