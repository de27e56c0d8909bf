import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // One copy of the core per process: both entries import the shared code from the same
  // chunk files (ESM and CJS alike), so `instanceof TrackingError` and the tracker
  // internals hold whichever entry made them. Node-only code stays in node/index.
  splitting: true,
});
