import { join } from 'node:path';
import { baseProject } from '../../jest.config.base';

// Long-running tests: the timeout is set in test/setup-timeout.ts, because jest-circus 30
// ignores a project-level `testTimeout`.
export default baseProject('reliability', __dirname, {
  roots: [join(__dirname, 'test')],
  setupFilesAfterEnv: [join(__dirname, 'test', 'setup-timeout.ts')],
});
