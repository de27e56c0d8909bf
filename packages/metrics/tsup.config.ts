import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  splitting: false,
  // prom-client is an optional peer loaded with require() on first use (src/prometheus.ts):
  // the ES module build gets a `require` of its own.
  banner: ({ format }) => (format === 'esm' ? { js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" } : {}),
});
