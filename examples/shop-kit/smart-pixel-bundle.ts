import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const PIXEL_BUNDLE = '@webtrekk-smart-pixel/core/dist/smart-pixel.min.js';

/**
 * Finds the Smart Pixel bundle in an example's dependencies. Under jest (CommonJS) `require`
 * resolves from this folder's neighbours; under tsx (ESM) there is no `require`, so resolve
 * from the working directory (`pnpm --dir examples/<example> start`) or the repository root.
 */
function smartPixelPath(example: string): string {
  const bases = [process.cwd(), join(process.cwd(), 'examples', example), join(__dirnameOf(), '..', example)];
  for (const base of bases) {
    try {
      return createRequire(join(base, 'package.json')).resolve(PIXEL_BUNDLE);
    } catch {
      // Not installed below this base: try the next one.
    }
  }
  throw new Error(`example-${example}-shop: cannot find ${PIXEL_BUNDLE}; run pnpm install`);
}

/** This folder under jest (CommonJS `__dirname`); under tsx the working-directory bases serve. */
function __dirnameOf(): string {
  return typeof __dirname === 'string' ? __dirname : process.cwd();
}

/** The Smart Pixel bundle of `examples/<example>`, read once at the first request. */
export function smartPixelBundle(example: string): () => Buffer {
  let bundle: Buffer | undefined;
  return () => (bundle ??= readFileSync(smartPixelPath(example)));
}
