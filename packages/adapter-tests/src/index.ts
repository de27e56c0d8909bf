export { defineAdapterSuite, SUITE_TRACK_ID } from './suite.js';
export { BROWSER_UA, PAGE_HEADERS, request, setCookieValue } from './browser.js';
export type { RequestOptions, ShopResponse } from './browser.js';
export { waitForHit, lastHitId, hitsAfter } from './hits.js';
export type { AdapterSuiteOptions, RunningShop, ShopEnv } from './types.js';
export { listen, recordingLogger, serveShop } from './support.js';
export { exportedNames } from './exported-names.js';
export { defineExampleShopSuite, defineExampleStartSuite } from './example-suites.js';
export type { ExampleShopSuiteOptions } from './example-suites.js';
