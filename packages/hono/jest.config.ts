import { join } from 'node:path';
import { baseProject } from '../../jest.config.base';

// The conformance suite waits for hits over real HTTP: give slow, shared CI machines room.
export default baseProject('hono', __dirname, { testTimeout: 30000, roots: [join(__dirname, 'test')] });
