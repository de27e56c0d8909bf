import { defineHostileInputSuite } from '../src/hostile-suite.js';
import { inProcessTarget } from '../src/shops.js';

// The real examples/hono app (its createShop), with the pass-through at /mapp/pixel.
defineHostileInputSuite(inProcessTarget('hono', { pixel: true, fuzzRuns: 150 }));
