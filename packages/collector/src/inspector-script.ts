/**
 * Client script of the inspector page. Plain ES2017 without template literals (it lives in a
 * TypeScript template string). Every hit value is inserted with textContent, never as HTML:
 * hits are untrusted input.
 */
export const INSPECTOR_JS = String.raw`
(function () {
  'use strict';
  var MAX = 1000;
  var state = { hits: [], byId: new Map(), selected: null, filter: { eid: '', page: '', type: '', problems: false }, follow: true };
  var $ = function (id) { return document.getElementById(id); };

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'text') el.textContent = attrs[k];
      else if (k === 'class') el.className = attrs[k];
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), attrs[k]);
      else el.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null || c === false) continue;
      el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return el;
  }

  var TYPE_LABEL = { page: 'Page', event: 'Event', order: 'Order' };
  var LABELS = {
    pu: 'Page URL', la: 'Language', is: 'Internal search', pn: 'Page name (pn)',
    cp771: 'Result count', cp772: 'Error messages', cp773: 'Paywall', cp774: 'Article title', cp775: 'Content tags',
    cp776: 'Page title', cp777: 'Page type', cp778: 'Page length', cp779: 'Days since publication', cp781: 'Test variant', cp782: 'Test experiment',
    eid: 'Ever ID', ceid: 'Custom ever ID', one: 'New visitor', fns: 'New session', nc: 'Anonymous', fpv: 'Session id', fpt: 'Session id type',
    cd: 'Customer ID', pec: 'Permission category', cs800: 'Login status',
    uc700: 'Email', uc701: 'Email receiver id', uc702: 'Email opt-in', uc703: 'First name', uc704: 'Last name', uc705: 'Phone', uc706: 'Gender',
    uc707: 'Birthday', uc708: 'Country', uc709: 'City', uc710: 'Postcode', uc711: 'Street', uc712: 'Street number', uc713: 'Validation',
    'X-WT-IP': 'Client IP', 'X-WT-UA': 'User agent', 'X-WT-RQ': 'Request URL', 'X-WT-EID': 'Ever ID (3rd party)',
    'X-WT-SEC-CH-UA': 'Sec-CH-UA', 'X-WT-SEC-CH-UA-FULL-VERSION-LIST': 'Full version list', 'X-WT-SEC-CH-UA-MODEL': 'Model',
    'X-WT-SEC-CH-UA-MOBILE': 'Mobile', 'X-WT-SEC-CH-UA-PLATFORM': 'Platform', 'X-WT-SEC-CH-UA-PLATFORM-VERSION': 'Platform version',
    pf: 'Sender features', cs801: 'Sender version', cs802: 'Sender platform',
    ct: 'Event name', fn: 'Form', ft: 'Form fields', mi: 'Media', mk: 'Media action', mt1: 'Media position', mt2: 'Media duration',
    bw: 'Bandwidth', vol: 'Volume', mut: 'Muted', ecwen: 'Web event', ecwei: 'Web event id', eaj: 'Engage attributes',
    ba: 'Product', co: 'Cost', qn: 'Quantity', st: 'Product status', cr: 'Currency', ov: 'Order value', oi: 'Order ID', plp: 'List position',
    cb563: 'Coupon value', cb759: 'Tax', cb760: 'Sold out', cb761: 'Payment method', cb762: 'Shipping service', cb763: 'Shipping speed',
    cb764: 'Shipping costs', cb765: 'Gross margin', cb766: 'Order status', cb767: 'Variant',
    mc: 'Media code', mca: 'Campaign action', eor: 'End of request', tz: 'Time zone', np: 'Plugins'
  };
  var ORDER_CB = { cb563: 1, cb759: 1, cb761: 1, cb762: 1, cb763: 1, cb764: 1, cb765: 1, cb766: 1 };

  function groupOf(k) {
    if (k === 'p') return null;
    if (/^(pu|la|is|pn|cp77[1-9]|cp78[12])$/.test(k)) return 'page';
    if (/^(eid|ceid|one|fns|nc|fpv|fpt|cd|pec|cs800|uc7(0\d|1[0-3]))$/.test(k)) return 'visitor';
    if (/^x-wt-/i.test(k) || /^(pf|cs801|cs802)$/.test(k)) return 'client';
    if (/^(ct|ck\d+|fn|ft|mi|mk|mt1|mt2|mg\d+|bw|vol|mut|ecwen|ecwei|ecwev|eaj|er[1-7])$/.test(k)) return 'event';
    if (/^(ba|co|qn|st|ca\d+|cb\d+|cr|ov|oi|plp)$/.test(k)) return 'ecommerce';
    if (/^(mc|mca|cc\d+|tmc|tmcv|tmct|wt_vt)$/.test(k)) return 'campaign';
    if (/^(cp|cg|cs|uc)\d+$/.test(k)) return 'custom';
    return 'other';
  }
  // Own keys only: a parameter may be named "constructor" or "toString".
  function own(obj, k) { return Object.prototype.hasOwnProperty.call(obj, k); }
  function label(k) {
    if (own(LABELS, k)) return LABELS[k];
    var m = /^(cp|cg|cs|uc|ck|cb|ca|cc|mg)(\d+)$/.exec(k);
    if (m) return ({ cp: 'Page parameter ', cg: 'Content group ', cs: 'Session parameter ', uc: 'User category ', ck: 'Event parameter ',
      cb: 'E-commerce parameter ', ca: 'Product category ', cc: 'Campaign parameter ', mg: 'Media category ' })[m[1]] + m[2];
    return k;
  }
  function pad(n, w) { n = String(n); while (n.length < (w || 2)) n = '0' + n; return n; }
  function clock(ms) { var d = new Date(ms); return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }
  function stamp(ms) { var d = new Date(ms); return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + clock(ms) + '.' + pad(d.getMilliseconds(), 3); }
  function pageName(hit) { return (hit.p && hit.p[1]) || hit.params.pn || '(no page name)'; }
  function referrer(v) { return v === '0' ? 'none (0)' : v === '1' ? 'own domain (1)' : v === '2' ? 'already sent (2)' : v; }
  function flag(v) { return v === '1' ? 'yes (1)' : v === '0' ? 'no (0)' : v; }
  function decodeOnce(v) { try { return decodeURIComponent(v); } catch (e) { return v; } }

  function matches(hit) {
    var f = state.filter;
    if (f.type && hit.type !== f.type) return false;
    if (f.problems && hit.problems.length === 0) return false;
    if (f.eid && (hit.params.eid || '').indexOf(f.eid) < 0) return false;
    if (f.page && pageName(hit).toLowerCase().indexOf(f.page.toLowerCase()) < 0) return false;
    return true;
  }

  // ---- list ---------------------------------------------------------------------------
  var pendingRender = false;
  function scheduleRender() {
    if (pendingRender) return;
    pendingRender = true;
    requestAnimationFrame(function () { pendingRender = false; renderList(); });
  }
  function major(v) { return v ? String(v).split('.')[0] : ''; }
  // "Chrome 124 · Windows 11 · desktop": the short form a row shows.
  function clientLabel(c) {
    if (!c || c.source === 'none') return 'no user agent';
    var parts = [];
    if (c.browser) parts.push(c.browser + (c.browserVersion ? ' ' + major(c.browserVersion) : ''));
    if (c.os) parts.push(c.os + (c.osVersion ? ' ' + c.osVersion : ''));
    parts.push(c.device);
    return parts.join(' \u00b7 ');
  }
  function rowMeta(hit) {
    var parts = [];
    if (hit.params.ct) parts.push('event ' + hit.params.ct);
    if (hit.params.ov) parts.push('order ' + hit.params.ov + (hit.params.cr ? ' ' + hit.params.cr : '') + (hit.params.oi ? ' #' + hit.params.oi : ''));
    if (hit.params.st && hit.params.ba) parts.push(hit.params.st + ' ' + hit.params.ba.split(';').length + ' product(s)');
    parts.push(hit.params.eid ? 'eid ' + hit.params.eid : hit.params.nc === '1' ? 'anonymous' : 'no eid');
    if (hit.params['X-WT-IP']) parts.push(hit.params['X-WT-IP']);
    return parts.join(' \u00b7 ');
  }
  function renderList() {
    var list = $('list');
    var shown = state.hits;
    list.textContent = '';
    if (shown.length === 0) {
      var example = location.origin + '/123451234512345/wt?p=600,home,,,,,' + Date.now() + ',0,,';
      list.appendChild(h('div', { class: 'empty' },
        state.filter.eid || state.filter.page || state.filter.type || state.filter.problems ? 'No hits match the filters.' : 'Waiting for hits\u2026 they appear here as they arrive.',
        h('br'), h('code', { text: 'curl "' + example + '"' })));
    }
    var frag = document.createDocumentFragment();
    shown.forEach(function (hit) {
      var cls = 'row' + (state.selected === hit.id ? ' sel' : '') + (hit.problems.length ? ' bad' : '') + (hit.fresh ? ' fresh' : '');
      hit.fresh = false;
      frag.appendChild(h('div', { class: cls, 'data-id': String(hit.id), 'data-type': hit.type, onclick: function () { select(hit.id); } },
        h('span', { class: 'badge ' + hit.type, text: TYPE_LABEL[hit.type] }),
        h('span', { class: 'name', title: pageName(hit), text: pageName(hit) }),
        h('span', { class: 'time', text: clock(hit.receivedAt) }),
        h('span', { class: 'meta' },
          h('span', { class: 'client-badge device-' + (hit.client ? hit.client.device : 'unknown'), title: 'Browser \u00b7 OS \u00b7 device type', text: clientLabel(hit.client) }),
          hit.problems.length ? h('span', { class: 'warn', text: '\u26a0 ' + hit.problems.length + ' problem' + (hit.problems.length > 1 ? 's' : '') + ' \u00b7 ' }) : null, rowMeta(hit))));
    });
    list.appendChild(frag);
    $('shown').textContent = shown.length + ' shown';
  }

  // ---- detail -------------------------------------------------------------------------
  function kvTable(rows) {
    return h.apply(null, ['table', null].concat(rows.map(function (r) {
      var v = r[1];
      var cell = r[3] === 'eid' && v ? h('a', { class: 'eid', title: 'Filter by this visitor', text: v, onclick: function () { setFilter('eid', v); } }) : String(v);
      return h('tr', null, h('td', { class: 'k' }, r[0], r[2] ? h('code', { text: r[2] }) : null), h('td', { class: 'v' + (r[4] ? ' flag' : '') }, cell));
    })));
  }
  function group(title, rows, wide) {
    if (!rows.nodeType && !rows.length) return null;
    return h('section', { class: 'group' + (wide ? ' wide' : ''), 'data-group': title }, h('h3', { text: title }), rows.nodeType ? rows : kvTable(rows));
  }
  function paramRows(hit, keys) {
    return keys.map(function (k) {
      var v = hit.params[k];
      var shown = /^(one|fns|nc)$/.test(k) ? flag(v) : k === 'mc' ? decodeOnce(v) : v;
      var bad = hit.problems.some(function (p) { return p.indexOf(k + ':') === 0; });
      return [label(k), shown, k, k === 'eid' ? 'eid' : null, bad];
    });
  }
  function productTable(hit, keys) {
    var count = hit.params.ba.split(';').length;
    var cols = ['ba', 'co', 'qn'].concat(keys.filter(function (k) { return /^(ca\d+|cb\d+|plp)$/.test(k) && !own(ORDER_CB, k) && hit.params[k].split(';').length === count; }));
    cols = cols.filter(function (k) { return hit.params[k] !== undefined; });
    var head = h.apply(null, ['tr', null, h('th', { text: '#' })].concat(cols.map(function (k) { return h('th', { title: k, text: label(k) }); })));
    var rows = [];
    for (var i = 0; i < count; i++) {
      rows.push(h.apply(null, ['tr', null, h('td', { text: String(i + 1) })].concat(cols.map(function (k) { return h('td', { text: hit.params[k].split(';')[i] || '' }); }))));
    }
    return { table: h.apply(null, ['table', { class: 'products' }, head].concat(rows)), used: cols };
  }
  var shownId = null;
  function renderDetail() {
    var box = $('detail');
    box.textContent = '';
    if (state.selected !== shownId) { box.scrollTop = 0; shownId = state.selected; }
    var hit = state.selected != null ? state.byId.get(state.selected) : null;
    if (!hit) {
      box.appendChild(h('div', { class: 'empty', text: state.hits.length ? 'Select a hit to see its decoded parameters.' : 'No hit selected.' }));
      return;
    }
    box.appendChild(h('h2', null, h('span', { class: 'badge ' + hit.type, text: TYPE_LABEL[hit.type] }), pageName(hit)));
    box.appendChild(h('div', { class: 'sub', text: 'Hit #' + hit.id + ' \u00b7 received ' + stamp(hit.receivedAt) + ' \u00b7 track id ' + hit.trackId + ' \u00b7 via ' + (hit.via === 'wt' ? 'GET /wt' : 'POST /batch') + ' \u00b7 from ' + hit.clientAddress }));
    if (hit.problems.length) {
      box.appendChild(h('div', { class: 'problems', id: 'problems' }, h('strong', { text: hit.problems.length + ' problem' + (hit.problems.length > 1 ? 's' : '') }),
        h.apply(null, ['ul', null].concat(hit.problems.map(function (p) { return h('li', { text: p }); })))));
    } else {
      box.appendChild(h('div', { class: 'ok', text: '\u2713 Valid: no problems found against the protocol rules.' }));
    }
    var byGroup = { page: [], visitor: [], client: [], event: [], ecommerce: [], campaign: [], custom: [], other: [] };
    Object.keys(hit.params).forEach(function (k) { var g = groupOf(k); if (g) byGroup[g].push(k); });
    var p = hit.p || [];
    var pageRows = [];
    if (p.length) {
      pageRows.push(['Page name', p[1] || '', 'p[2]']);
      if (p[6]) pageRows.push(['Client time', /^\d{13}$/.test(p[6]) ? stamp(Number(p[6])) : p[6], 'p[7]']);
      if (p[7] !== undefined && p[7] !== '') pageRows.push(['Referrer', referrer(p[7]), 'p[8]']);
      pageRows.push(['Version', p[0] || '', 'p[1]']);
    }
    pageRows = pageRows.concat(paramRows(hit, byGroup.page));
    var ecommerce = [];
    var ecomKeys = byGroup.ecommerce;
    var groups = h('div', { class: 'groups' });
    var put = function (el) { if (el) groups.appendChild(el); };
    put(group('Page', pageRows));
    put(group('Visitor', paramRows(hit, byGroup.visitor).concat(hit.params.eid || hit.params.nc ? [] : [['Ever ID', '(none)', 'eid']])));
    var c = hit.client || { device: 'unknown', source: 'none' };
    var parsed = [['Browser', c.browser ? c.browser + (c.browserVersion ? ' ' + c.browserVersion : '') : '(unknown)', 'parsed'],
      ['Operating system', c.os ? c.os + (c.osVersion ? ' ' + c.osVersion : '') : '(unknown)', 'parsed'], ['Device type', c.device, 'parsed']];
    if (c.model) parsed.push(['Device model', c.model, 'parsed']);
    parsed.push(['Read from', c.source === 'hit' ? 'the hit (X-WT-UA, client hints)' : c.source === 'request' ? 'the request headers (no X-WT-UA)' : 'nothing: no user agent', 'source']);
    put(group('Client info', parsed.concat(paramRows(hit, byGroup.client)).concat([['TCP peer', hit.clientAddress, 'peer']])));
    put(group('Event', paramRows(hit, byGroup.event)));
    if (ecomKeys.length) {
      var section = h('div');
      var rest = ecomKeys;
      if (hit.params.ba) {
        var pt = productTable(hit, ecomKeys);
        section.appendChild(pt.table);
        rest = ecomKeys.filter(function (k) { return pt.used.indexOf(k) < 0; });
      }
      if (rest.length) section.appendChild(kvTable(paramRows(hit, rest)));
      put(group('E-commerce', section, true));
    }
    put(group('Campaign', paramRows(hit, byGroup.campaign)));
    put(group('Custom parameters', paramRows(hit, byGroup.custom)));
    put(group('Other', paramRows(hit, byGroup.other)));
    box.appendChild(groups);
    box.appendChild(h('div', { class: 'groups', style: 'margin-top:10px' }, group('Raw line', h('pre', { class: 'raw', text: hit.raw }), true)));
  }
  function select(id) {
    state.selected = id;
    state.follow = state.hits.length > 0 && state.hits[0].id === id;
    renderList();
    renderDetail();
  }

  // ---- data ---------------------------------------------------------------------------
  function add(hit) {
    if (state.byId.has(hit.id) || !matches(hit)) return;
    hit.fresh = true;
    state.byId.set(hit.id, hit);
    var i = 0;
    while (i < state.hits.length && state.hits[i].id > hit.id) i++;
    state.hits.splice(i, 0, hit);
    while (state.hits.length > MAX) state.byId.delete(state.hits.pop().id);
    if (state.follow || state.selected == null) { state.selected = state.hits[0].id; state.follow = true; renderDetail(); }
    scheduleRender();
  }
  function query() {
    var f = state.filter, q = ['limit=500'];
    if (f.eid) q.push('eidContains=' + encodeURIComponent(f.eid));
    if (f.page) q.push('pageNameContains=' + encodeURIComponent(f.page));
    if (f.type) q.push('type=' + f.type);
    if (f.problems) q.push('problems=1');
    return '/api/hits?' + q.join('&');
  }
  var loadSeq = 0;
  function load() {
    var seq = ++loadSeq;
    return fetch(query()).then(function (r) { return r.json(); }).then(function (body) {
      if (seq !== loadSeq) return;
      state.hits = []; state.byId = new Map();
      body.hits.forEach(function (hit) { state.byId.set(hit.id, hit); state.hits.push(hit); });
      if (state.selected == null || !state.byId.has(state.selected)) { state.selected = state.hits.length ? state.hits[0].id : null; state.follow = true; }
      renderList(); renderDetail();
    });
  }
  var statsTimer = null;
  function fetchStats() {
    return fetch('/api/stats').then(function (r) { return r.json(); }).then(renderStats).catch(function () {});
  }
  // Bursts of hits (a batch) cost one stats request, not one each.
  function refreshStats() {
    if (statsTimer) return;
    statsTimer = setTimeout(function () { statsTimer = null; fetchStats(); }, 250);
  }
  function renderStats(s) {
    $('c-total').textContent = s.total; $('c-page').textContent = s.byType.page; $('c-event').textContent = s.byType.event;
    $('c-order').textContent = s.byType.order; $('c-bad').textContent = s.withProblems; $('c-visitors').textContent = s.visitors;
    $('requests').textContent = s.requests + ' requests';
    var svg = $('chart'), bars = s.perMinute, max = 1;
    bars.forEach(function (b) { if (b.count > max) max = b.count; });
    svg.textContent = '';
    var w = 300 / bars.length;
    bars.forEach(function (b, i) {
      var hgt = b.count ? Math.max(2, Math.round(44 * b.count / max)) : 0;
      var r = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
      r.setAttribute('x', String(i * w + 1)); r.setAttribute('width', String(w - 2));
      r.setAttribute('y', String(46 - hgt)); r.setAttribute('height', String(hgt)); r.setAttribute('rx', '1.5');
      if (i === bars.length - 1) r.setAttribute('class', 'now');
      var t = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      t.textContent = clock(b.minute).slice(0, 5) + ': ' + b.count + ' hits';
      r.appendChild(t); svg.appendChild(r);
    });
    var base = document.createElementNS('http://www.w3.org/2000/svg', 'line');
    base.setAttribute('x1', '0'); base.setAttribute('x2', '300'); base.setAttribute('y1', '46'); base.setAttribute('y2', '46');
    base.setAttribute('stroke', '#d5dbe5'); svg.appendChild(base);
    $('chart-max').textContent = 'peak ' + max + '/min';
    renderClients(s.clients || {});
  }
  function renderClients(clients) {
    document.querySelectorAll('#clients .breakdown').forEach(function (card) {
      var rows = clients[card.getAttribute('data-dimension')] || [];
      var bars = card.querySelector('.bars'), top = 1;
      bars.textContent = '';
      rows.forEach(function (r) { if (r.count > top) top = r.count; });
      if (!rows.length) bars.appendChild(h('div', { class: 'none', text: 'No hits yet.' }));
      rows.forEach(function (r) {
        bars.appendChild(h('div', { class: 'bar-row', 'data-name': r.name, title: r.name + ': ' + r.count + ' hits' },
          h('span', { class: 'name', text: r.name }),
          h('span', { class: 'bar', style: 'width:' + Math.max(1, Math.round(100 * r.count / top)) + '%' }),
          h('span', { class: 'count', text: String(r.count) })));
      });
    });
  }
  function connect() {
    // On a reconnect (a drop, or the collector cut off a tab that fell behind) the collector
    // replays the hits after Last-Event-ID, or sends "clear" first when ours are gone. More
    // than the list holds: it sends "reload" instead, and the list is loaded afresh.
    var es = new EventSource('/api/events?replayLimit=' + MAX);
    var dropped = false;
    es.onopen = function () {
      $('status').className = 'status live'; $('status-text').textContent = 'Live';
      if (dropped) { dropped = false; fetchStats(); }
    };
    es.onerror = function () { dropped = true; $('status').className = 'status'; $('status-text').textContent = 'Reconnecting\u2026'; };
    es.addEventListener('reload', function () { load(); fetchStats(); });
    es.addEventListener('hit', function (e) { add(JSON.parse(e.data)); refreshStats(); });
    es.addEventListener('clear', function () { state.hits = []; state.byId = new Map(); state.selected = null; state.follow = true; renderList(); renderDetail(); refreshStats(); });
  }

  // ---- filters ------------------------------------------------------------------------
  var filterTimer = null;
  function setFilter(key, value) {
    state.filter[key] = value;
    if (key === 'eid') $('f-eid').value = value;
    if (key === 'page') $('f-page').value = value;
    document.querySelectorAll('#f-type button').forEach(function (b) { b.className = b.getAttribute('data-type') === state.filter.type ? 'on' : ''; });
    clearTimeout(filterTimer);
    filterTimer = setTimeout(load, 150);
  }
  $('f-eid').addEventListener('input', function (e) { setFilter('eid', e.target.value.trim()); });
  $('f-page').addEventListener('input', function (e) { setFilter('page', e.target.value.trim()); });
  $('f-problems').addEventListener('change', function (e) { setFilter('problems', e.target.checked); });
  document.querySelectorAll('#f-type button').forEach(function (b) { b.addEventListener('click', function () { setFilter('type', b.getAttribute('data-type')); }); });
  $('clear').addEventListener('click', function () {
    if (confirm('Delete all stored hits?')) fetch('/_control/clear', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  });
  // Arrow keys walk the list (outside the filter inputs).
  document.addEventListener('keydown', function (e) {
    if ((e.key !== 'ArrowDown' && e.key !== 'ArrowUp') || e.target instanceof HTMLInputElement || !state.hits.length) return;
    var i = state.hits.findIndex(function (hit) { return hit.id === state.selected; });
    var next = state.hits[Math.max(0, Math.min(state.hits.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)))];
    e.preventDefault();
    select(next.id);
    var row = document.querySelector('#list .row.sel');
    if (row) row.scrollIntoView({ block: 'nearest' });
  });
  $('origin').textContent = location.origin;

  connect();
  fetchStats();
  load();
  setInterval(refreshStats, 20000);
})();
`;
