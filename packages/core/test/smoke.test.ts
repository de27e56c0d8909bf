import { expect, it } from '@jest/globals';
import { PROTOCOL_VERSION } from '../src/index.js';
it('exports the protocol version', () => { expect(PROTOCOL_VERSION).toBe('600'); });
