import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Koa from 'koa';
import Router from '@koa/router';
import { mappPixelProxy, noTracking, type KoaTrackingOptions, type Tracker } from '@mapp-s2s/koa';
import { pixelPage, TRACK_IDS } from '../../shop-kit/pixel-page.js';

const PIXEL_BUNDLE = '@webtrekk-smart-pixel/core/dist/smart-pixel.min.js';

/**
 * Finds the Smart Pixel bundle in this example's dependencies. Under jest (CommonJS) `require`
 * resolves from this file; under tsx (ESM) there is no `require`, so resolve from the working
 * directory (`pnpm --dir examples/koa start`) or the repository root.
 */
function smartPixelPath(): string {
  if (typeof require === 'function') return require.resolve(PIXEL_BUNDLE);
  const bases = [process.cwd(), join(process.cwd(), 'examples', 'koa')];
  for (const base of bases) {
    try {
      return createRequire(join(base, 'package.json')).resolve(PIXEL_BUNDLE);
    } catch {
      // Not installed below this base: try the next one.
    }
  }
  throw new Error(`example-koa-shop: cannot find ${PIXEL_BUNDLE}; run pnpm install`);
}

/**
 * Mounts the Smart Pixel pass-through at `/mapp/pixel`, with the same options and tracker as the
 * page tracking so its hits share the transport. Mount it before `mappTracking()`: a pixel request
 * is then answered before the page tracking looks at it (no visit, no visitor cookie on the GIF).
 * `MAPP_PIXEL_MODE=forward|queue` picks the mode (default queue).
 */
export function mountPixelProxy(app: Koa, options: KoaTrackingOptions, tracker: Tracker): void {
  const { tracker: _shared, onError: _onError, ...trackerOptions } = options;
  app.use(mappPixelProxy({ ...trackerOptions, tracker }));
}

/** Serves the Smart Pixel bundle at `/static/smart-pixel.js` and a demo page at `/pixel`. */
export function mountSmartPixelPage(app: Koa, options: KoaTrackingOptions): void {
  const router = new Router();
  let bundle: Buffer | undefined;
  router.get('/static/smart-pixel.js', (ctx) => {
    bundle ??= readFileSync(smartPixelPath());
    ctx.type = 'js';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = bundle;
  });

  const trackId = options.trackId ?? process.env['MAPP_TRACK_ID'] ?? '';
  // The pixel itself tracks this page: a server page view as well would count it twice.
  router.get('/pixel', noTracking(), (ctx) => {
    if (!TRACK_IDS.test(trackId)) {
      ctx.status = 500;
      ctx.type = 'text';
      ctx.body = 'MAPP_TRACK_ID must be one or more 15-digit track ids';
      return;
    }
    ctx.type = 'html';
    ctx.body = pixelPage(trackId);
  });
  app.use(router.routes());
}
