import { defineHostileInputSuite } from '../src/hostile-suite.js';
import { inProcessTarget } from '../src/shops.js';

// The real examples/fastify app (its createShop), with the pass-through at /mapp/pixel.
defineHostileInputSuite(inProcessTarget('fastify', { pixel: true, fuzzRuns: 150 }));
