import { join } from 'node:path';
import { baseProject } from '../../jest.config.base';

// e2e.test.ts runs `next build` twice (Node and Edge) and starts `next start`: give it minutes.
export default baseProject('next', __dirname, { testTimeout: 300000, roots: [join(__dirname, 'test')] });
