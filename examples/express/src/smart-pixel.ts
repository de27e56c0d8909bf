import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Express } from 'express';
import { mappPixelProxy, noTracking, type ExpressTrackingOptions, type Tracker } from '@mapp-s2s/express';

const PIXEL_BUNDLE = '@webtrekk-smart-pixel/core/dist/smart-pixel.min.js';
const TRACK_IDS = /^\d{15}(?:,\d{15})*$/;

/**
 * Finds the Smart Pixel bundle in this example's dependencies. Under jest (CommonJS) `require`
 * resolves from this file; under tsx (ESM) there is no `require`, so resolve from the working
 * directory (`pnpm --dir examples/express start`) or the repository root.
 */
function smartPixelPath(): string {
  if (typeof require === 'function') return require.resolve(PIXEL_BUNDLE);
  const bases = [process.cwd(), join(process.cwd(), 'examples', 'express')];
  for (const base of bases) {
    try {
      return createRequire(join(base, 'package.json')).resolve(PIXEL_BUNDLE);
    } catch {
      // Not installed below this base: try the next one.
    }
  }
  throw new Error(`example-express-shop: cannot find ${PIXEL_BUNDLE}; run pnpm install`);
}

/** The demo page: loads the real Smart Pixel and points it at our `/mapp/pixel` mount. */
function pixelPage(trackId: string): string {
  // Track ids are validated digits and commas; JSON.stringify keeps the script context intact anyway.
  const id = JSON.stringify(trackId);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Smart Pixel pass-through · Trailhead Outfitters</title>
<link rel="stylesheet" href="/static/app.css">
<script>
  // ?mode=server: the pixel's sendViaServer form (GET /mapp/pixel?p=600,…)
  // ?mode=domain: the pixel's track domain is our mount (GET /mapp/pixel/<trackId>/wt?…)
  // ?mode=beacon: the same with the pixel's beacon requests (POST /mapp/pixel/<trackId>/batch)
  // &spoof=1: the page also tries to smuggle its own X-WT-* values (they must never reach Mapp).
  var params = new URLSearchParams(location.search);
  var mode = params.get('mode') === 'domain' || params.get('mode') === 'beacon' ? params.get('mode') : 'server';
  var spoof = params.get('spoof') === '1';
  window.wtSmart = window.wtSmart || [];
  window.wtSmart.push(function (wtSmart) {
    wtSmart.init.set({ trackId: ${id}, trackDomain: location.host + '/mapp/pixel' });
    wtSmart.advanced.set({
      sendViaServer: { activated: mode === 'server', serverDomain: location.host, serverPath: 'mapp/pixel' },
      requestType: mode === 'beacon' ? 'beacon' : 'image'
    });
    var name = 'pixel-demo-' + mode + (spoof ? '&X-WT-IP=6.6.6.6&X-WT-UA=evil' : '');
    var parameter = spoof ? { 1: mode, 2: '&X-WT-IP=6.6.6.6&X-WT-UA=evil' } : { 1: mode };
    wtSmart.page.data.set({ name: name, parameter: parameter });
    wtSmart.track();
    if (spoof) {
      var query = 'p=600,pixel-demo-handmade,1,1x1,24,1,' + Date.now() + ',0,1x1,0' +
        '&X-WT-IP=6.6.6.6&X-WT-UA=evil&X%2DWT%2DIP=6.6.6.6&x-wt-sec-ch-ua=evil&eor=1';
      new Image().src = '/mapp/pixel?' + query;
      fetch('/mapp/pixel/' + ${id}.split(',')[0] + '/wt?' + query.replace('handmade', 'handmade-fetch'), {
        headers: { 'X-WT-IP': '6.6.6.6', 'X-WT-UA': 'evil' }
      });
      navigator.sendBeacon('/mapp/pixel/' + ${id}.split(',')[0] + '/batch', '?' + query.replace('handmade', 'handmade-beacon'));
    }
  });
</script>
<script src="/static/smart-pixel.js" async></script>
</head>
<body>
<header><a class="logo" href="/">Trailhead Outfitters</a></header>
<main><h1>Smart Pixel pass-through</h1><p>This page is tracked by the Mapp Smart Pixel in the browser, through our server at <code>/mapp/pixel</code>.</p></main>
</body>
</html>
`;
}

/**
 * Mounts the Smart Pixel pass-through at `/mapp/pixel` (same options and tracker as the page
 * tracking, so hits share its transport), serves the pixel bundle at `/static/smart-pixel.js`
 * and a demo page at `/pixel`. `MAPP_PIXEL_MODE=forward|queue` picks the mode (default queue).
 */
export function mountSmartPixel(app: Express, options: ExpressTrackingOptions, tracker: Tracker): void {
  const { tracker: _shared, ...trackerOptions } = options;
  app.use('/mapp/pixel', mappPixelProxy({ ...trackerOptions, tracker }));

  let bundle: Buffer | undefined;
  app.get('/static/smart-pixel.js', (_req, res) => {
    bundle ??= readFileSync(smartPixelPath());
    res.type('js').set('cache-control', 'public, max-age=3600').send(bundle);
  });

  const trackId = options.trackId ?? process.env['MAPP_TRACK_ID'] ?? '';
  // The pixel itself tracks this page: a server page view as well would count it twice.
  app.get('/pixel', noTracking(), (_req, res) => {
    if (!TRACK_IDS.test(trackId)) {
      res.status(500).type('text').send('MAPP_TRACK_ID must be one or more 15-digit track ids');
      return;
    }
    res.type('html').send(pixelPage(trackId));
  });
}
