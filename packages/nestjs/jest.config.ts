import { join } from 'node:path';
import { baseProject } from '../../jest.config.base';

const base = baseProject('nestjs', __dirname);

// Nest reads its decorators' metadata: compile with legacy decorators and their type metadata.
export default baseProject('nestjs', __dirname, {
  testTimeout: 30000,
  roots: [join(__dirname, 'test')],
  transform: {
    '^.+\\.tsx?$': [
      'ts-jest',
      {
        diagnostics: false,
        tsconfig: {
          module: 'commonjs',
          moduleResolution: 'node10',
          target: 'ES2022',
          esModuleInterop: true,
          isolatedModules: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
        },
      },
    ],
  },
  moduleNameMapper: base.moduleNameMapper,
});
