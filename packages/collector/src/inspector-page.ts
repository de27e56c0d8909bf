import { INSPECTOR_JS } from './inspector-script.js';
import { INSPECTOR_CSS } from './inspector-style.js';

/**
 * The inspector page: one self-contained HTML document (inline CSS and JS, system fonts),
 * so it needs no build step and loads nothing from the internet.
 */
export const INSPECTOR_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mapp-s2s collector · inspector</title>
<style>${INSPECTOR_CSS}</style>
</head>
<body>
<header>
  <h1>mapp-s2s <span>collector</span></h1>
  <span class="url" id="origin"></span>
  <span class="spacer"></span>
  <span class="status" id="status"><span class="dot"></span><span id="status-text">Connecting…</span></span>
  <span class="url" id="requests"></span>
  <button id="clear" type="button" title="Delete all stored hits">Clear</button>
</header>
<section class="summary">
  <div class="card counter"><div class="label">Hits</div><div class="value" id="c-total">0</div></div>
  <div class="card counter page"><div class="label">Page views</div><div class="value" id="c-page">0</div></div>
  <div class="card counter event"><div class="label">Events</div><div class="value" id="c-event">0</div></div>
  <div class="card counter order"><div class="label">Orders</div><div class="value" id="c-order">0</div></div>
  <div class="card counter bad"><div class="label">With problems</div><div class="value" id="c-bad">0</div></div>
  <div class="card counter"><div class="label">Visitors</div><div class="value" id="c-visitors">0</div></div>
  <div class="card chart"><div class="label"><span>Hits per minute · last 30 min</span><span id="chart-max"></span></div>
    <svg id="chart" viewBox="0 0 300 47" preserveAspectRatio="none" role="img" aria-label="Hits per minute"></svg></div>
</section>
<section class="clients" id="clients" aria-label="Hits by browser, OS and device type">
  <div class="card breakdown" data-dimension="browser"><div class="label">Browsers</div><div class="bars"></div></div>
  <div class="card breakdown" data-dimension="os"><div class="label">Operating systems</div><div class="bars"></div></div>
  <div class="card breakdown" data-dimension="device"><div class="label">Device types</div><div class="bars"></div></div>
</section>
<section class="filters">
  <input type="search" id="f-eid" placeholder="Visitor (eid)" aria-label="Filter by visitor eid">
  <input type="search" id="f-page" placeholder="Page name" aria-label="Filter by page name">
  <div class="seg" id="f-type" role="group" aria-label="Filter by type">
    <button type="button" data-type="" class="on">All</button>
    <button type="button" data-type="page">Page views</button>
    <button type="button" data-type="event">Events</button>
    <button type="button" data-type="order">Orders</button>
  </div>
  <label><input type="checkbox" id="f-problems"> Problems only</label>
  <span class="shown" id="shown"></span>
</section>
<main>
  <div class="list" id="list" aria-label="Hits, newest first"></div>
  <div class="detail" id="detail"></div>
</main>
<script>${INSPECTOR_JS}</script>
</body>
</html>
`;
