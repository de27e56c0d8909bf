import { join } from 'node:path';
import { baseProject } from '../../jest.config.base';

// jest-circus ignores a project-level testTimeout: e2e.test.ts sets its own (two `next build`s).
export default baseProject('next', __dirname, { roots: [join(__dirname, 'test')] });
