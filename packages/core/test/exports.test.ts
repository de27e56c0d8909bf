import { describe, expect, it } from '@jest/globals';
import * as main from '../src/index.js';
import * as node from '../src/node/index.js';

/**
 * The public API as a readable list (STYLE.md §18): a change here must be deliberate.
 * Update these lists when you add or remove an export.
 */
const MAIN_EXPORTS = [
  'ACCEPT_CH', 'InvalidOptionError', 'MAX_LINE_BYTES', 'MAX_PRODUCT_ID_LENGTH', 'MAX_TEXT_LENGTH', 'MissingOptionError', 'PROTOCOL_VERSION',
  'PRODUCT_FOLLOW_UP_EVENT', 'SENDER_VERSION', 'senderPlatform', 'TrackingError', 'UnknownOptionError', 'UnsupportedTransportError', 'buildEidCookie', 'buildLine',
  'clientHintParams', 'createBatchTransport', 'createDirectTransport', 'createMemoryTransport', 'createTracker', 'createTrackerWith', 'cutText',
  'defaultPageName', 'encodeValue', 'fromWebRequest', 'isEid', 'isStaticAsset', 'mintEid', 'readEid', 'readHandoverEid', 'referrerField',
  'reportLossAtExit', 'requestFacts', 'resolveOptions', 'resolveWebTransport', 'travelsAlone', 'validateLine',
  // Smart Pixel pass-through (src/pixel, issue 6)
  'createPixelProxy', 'mappCookieNames', 'PIXEL_OPTION_KEYS', 'pixelGif',
  // A pixel adapter's answer to its own failures (@internal; Node adapters and Hono)
  'createPixelFailure',
  // The adapters' shared, framework-neutral half (src/adapter; @internal)
  'createAdapterKit', 'createRequestTracking',
  // The URL of a received request (Hono, Next) and the importer's client check (@internal)
  'receivedUrl', 'isIpAddress',
];

const NODE_ONLY_EXPORTS = [
  'DEFAULT_SPOOL_PREFIX', 'ShipLockedError', 'ShipSourceMissingError', 'createDurableBatchTransport', 'createFileShipSource', 'createSpoolTransport',
  'fromNodeRequest', 'resolveNodeTransport', 'shipSpool',
  // The lock file of ship and import runs (`<pid>\n<host>`, stale locks taken over)
  'acquireDirLock',
  // Node-response helpers of the Express and Koa adapters (@internal)
  'createNodePixelProxy', 'nodeResponseCookies', 'trackNodeRequest', 'writeNodeResponse',
  // For shippers of outboxes such as @mapp-s2s/redis: the batch POST, its retry policy and line check
  'createBatchPoster', 'MAX_BATCH_BYTES', 'MAX_BATCH_LINES', 'retryDelay', 'shipLineProblem',
  // For the Redis transport: batches of lines encoded into one reused byte array (@internal)
  'LinesEncoder',
];

describe('exports', () => {
  it('pins the main entry', () => {
    expect(Object.keys(main).sort()).toEqual([...MAIN_EXPORTS].sort());
  });

  it('pins the node entry: everything from main plus the Node-only parts', () => {
    expect(Object.keys(node).sort()).toEqual([...MAIN_EXPORTS, ...NODE_ONLY_EXPORTS].sort());
  });

  it('has no default export', () => {
    expect('default' in main).toBe(false);
    expect('default' in node).toBe(false);
  });

  it("the node entry's createTracker supports spool while the main one refuses it", () => {
    expect(node.createTracker).not.toBe(main.createTracker);
    expect(node.fromNodeRequest).toBeInstanceOf(Function);
  });
});
