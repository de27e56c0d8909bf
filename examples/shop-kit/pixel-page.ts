/** One or more 15-digit track ids, comma-separated (docs/protocol.md §1). */
export const TRACK_IDS = /^\d{15}(?:,\d{15})*$/;

/** The demo page: loads the real Smart Pixel and points it at our `/mapp/pixel` mount. */
export function pixelPage(trackId: string): string {
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
  // &pad=<n>: about n more characters of page parameters (up to the pixel's 30,720-character URLs).
  var params = new URLSearchParams(location.search);
  var mode = params.get('mode') === 'domain' || params.get('mode') === 'beacon' ? params.get('mode') : 'server';
  var spoof = params.get('spoof') === '1';
  var pad = Math.min(Number(params.get('pad')) || 0, 30000);
  window.wtSmart = window.wtSmart || [];
  window.wtSmart.push(function (wtSmart) {
    wtSmart.init.set({ trackId: ${id}, trackDomain: location.host + '/mapp/pixel' });
    wtSmart.advanced.set({
      sendViaServer: { activated: mode === 'server', serverDomain: location.host, serverPath: 'mapp/pixel' },
      requestType: mode === 'beacon' ? 'beacon' : 'image'
    });
    var name = 'pixel-demo-' + mode + (spoof ? '&X-WT-IP=6.6.6.6&X-WT-UA=evil' : '');
    var parameter = spoof ? { 1: mode, 2: '&X-WT-IP=6.6.6.6&X-WT-UA=evil' } : { 1: mode };
    // Page parameters of 200 characters each (Mapp keeps 255), with umlauts, commas and slashes.
    for (var id = 10, size = 0; size < pad; id++) {
      parameter[id] = ('Größe ' + id + ', Farbe/Material: ' + new Array(21).join('Wanderschuh ')).slice(0, 200);
      size += encodeURIComponent(parameter[id]).length + String(id).length + 4;
    }
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
