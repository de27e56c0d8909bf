import { join } from 'node:path';
import type { Config } from 'jest';

const root = __dirname;

/**
 * Shared jest settings: ts-jest compiles TypeScript to CommonJS in memory and
 * workspace packages resolve to their sources, so tests never need a build. `compilerOptions`
 * adds to ts-jest's (NestJS: legacy decorators with their metadata).
 */
export function baseProject(displayName: string, rootDir: string, extra: Partial<Config> = {}, compilerOptions: Record<string, unknown> = {}): Config {
  return {
    displayName,
    rootDir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
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
            jsx: 'react-jsx',
            ...compilerOptions,
          },
        },
      ],
    },
    moduleNameMapper: {
      '^@mapp-s2s/core/node$': join(root, 'packages/core/src/node/index.ts'),
      '^@mapp-s2s/(core|express|koa|next|collector|cli|adapter-tests|metrics)$': join(root, 'packages/$1/src/index.ts'),
      '^@mapp-s2s/fastify$': join(root, 'packages/fastify/src/index.ts'),
      '^@mapp-s2s/hono$': join(root, 'packages/hono/src/index.ts'),
      '^@mapp-s2s/nestjs$': join(root, 'packages/nestjs/src/index.ts'),
      '^@mapp-s2s/redis$': join(root, 'packages/redis/src/index.ts'),
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    ...extra,
  };
}
