import type { Options } from 'tsup';

/**
 * The build of a package with one entry, `src/index.ts`: ESM and CommonJS with their types
 * (STYLE.md §23). A package's `tsup.config.ts` is `defineConfig(packageBuild)`.
 */
export const packageBuild: Options = {
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  splitting: false,
};
