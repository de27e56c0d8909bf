/**
 * @mapp-s2s/core/node: everything from the main entry plus the Node-only parts: a
 * `createTracker` with the `spool` transport and the write-ahead log, `fromNodeRequest`,
 * and the `ship` job's building blocks.
 */
export * from '../index.js';
// Shadows the main entry's createTracker (a local export wins over `export *`).
export { createTracker, resolveNodeTransport } from './create-tracker.js';
export { createBatchPoster, MAX_BATCH_BYTES, MAX_BATCH_LINES, retryDelay } from './batch-poster.js';
export type { BatchPoster, BatchPosterOptions, BatchPostResult } from './batch-poster.js';
export { createDurableBatchTransport } from './durable-batch.js';
export { acquireDirLock } from './dir-lock.js';
export type { DirLock, LockAttempt } from './dir-lock.js';
export type { DurableBatchTransportOptions } from './durable-batch.js';
export { createFileShipSource, ShipLockedError, ShipSourceMissingError } from './file-ship-source.js';
export type { FileShipSourceOptions } from './file-ship-source.js';
export { fromNodeRequest } from './from-node-request.js';
export type { NodeRequestLike, NodeResponseLike } from './from-node-request.js';
export { createNodePixelProxy, writeNodeResponse } from './node-pixel-proxy.js';
export type { NodePixelProxy, NodePixelProxyOptions, NodePixelRequest } from './node-pixel-proxy.js';
export { nodeResponseCookies } from './set-cookie.js';
export { shipLineProblem, shipSpool } from './ship.js';
export { trackNodeRequest } from './track-node-request.js';
export type { ShipLine, ShipOptions, ShipProgress, ShipReport, ShipSource, ShipUnit } from './ship.js';
export { createSpoolTransport } from './spool.js';
/** @internal For the Redis transport: lines encoded straight into bytes. */
export { LinesEncoder } from '../transport/encode-lines.js';
export { DEFAULT_SPOOL_PREFIX } from './spool-files.js';
