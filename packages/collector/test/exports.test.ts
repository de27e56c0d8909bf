import { expect, it } from '@jest/globals';
import * as collector from '../src/index.js';

it('exports exactly the public API', () => {
  expect(Object.keys(collector).sort()).toEqual([
    'MAX_BATCH_BYTES',
    'MAX_BATCH_LINES',
    'MAX_LINE_BYTES',
    'MAX_PRODUCT_ID_CHARS',
    'MAX_TEXT_CHARS',
    'TRACKING_GIF',
    'hitType',
    'startCollector',
    'validateFaults',
    'validateLine',
  ]);
});
