export { startCollector } from './server.js';
export { validateLine, hitType, MAX_LINE_BYTES, MAX_TEXT_CHARS, MAX_PRODUCT_ID_CHARS } from './validate.js';
export type { ClientInfoHeaderName, ClientInfoHeaders, LineValidation, ValidateOptions } from './validate.js';
export { TRACKING_GIF } from './gif.js';
export { MAX_BATCH_BYTES, MAX_BATCH_LINES } from './tracking.js';
export { validateFaults } from './faults.js';
export type { HitStats, StoreQuery } from './store.js';
export type { ClientInfo, Collector, CollectorOptions, FaultOptions, HitQuery, StoredHit } from './types.js';
