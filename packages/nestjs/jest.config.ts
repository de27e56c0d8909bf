import { join } from 'node:path';
import { baseProject } from '../../jest.config.base';

// Nest reads its decorators' metadata: compiled as legacy decorators with their type metadata.
export default baseProject('nestjs', __dirname, { testTimeout: 30000, roots: [join(__dirname, 'test')] }, { experimentalDecorators: true, emitDecoratorMetadata: true });
