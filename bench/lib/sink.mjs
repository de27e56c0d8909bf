/**
 * A minimal tracking sink for the benchmarks (child process). It answers every SDK the way
 * its real backend would (Mapp: 200 / GIF; Segment, PostHog, Snowplow: 200 + their JSON),
 * does no storage, and counts what arrives: lines, and unique/duplicate event ids, so a
 * benchmark can prove that hits really flowed and none were lost or doubled.
 *
 * One process can hold several named listeners (one per tracker under test), so an outage
 * can start and end at the same moment for all of them.
 *
 * Listeners opened with `ids: false` only count lines (the middleware benchmark, where the
 * sink must cost as little CPU as possible); the others also check ids.
 * Ids: Mapp lines carry the id as `ck1` (event parameter 1), Segment and PostHog as
 * `properties.i`, Snowplow as the structured event label `se_la`.
 */
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { serveParent } from './child.mjs';

const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
const MAX_IDS = 1 << 21;

/** @type {Map<string, ReturnType<typeof createListener>>} */
const listeners = new Map();

function createCounters() {
  return { requests: 0, lines: 0, noId: 0, unique: 0, dups: 0, seen: new Uint8Array(MAX_IDS), bodyBytes: 0 };
}

function countId(counters, raw) {
  const id = Number(raw);
  if (!Number.isInteger(id) || id < 0 || id >= MAX_IDS) {
    counters.noId++;
    return;
  }
  if (counters.seen[id] === 0) counters.unique++;
  else counters.dups++;
  if (counters.seen[id] < 255) counters.seen[id]++;
}

const CK1 = /[?&]ck1=(\d+)/;

function countMappLine(counters, line) {
  if (line.length === 0) return;
  counters.lines++;
  const match = CK1.exec(line);
  if (match) countId(counters, match[1]);
  else counters.noId++;
}

function readJson(req, body) {
  const bytes = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
  return JSON.parse(bytes.toString('utf8'));
}

/** Count-only mode: lines in a batch body without making strings (keeps the sink's CPU share small). */
function countLinesOnly(counters, body) {
  let lines = 0;
  let start = 0;
  for (let nl = body.indexOf(10); nl !== -1; nl = body.indexOf(10, start)) {
    if (nl > start) lines++;
    start = nl + 1;
  }
  if (start < body.length) lines++;
  counters.lines += lines;
}

function handle(counters, req, res, body, ids) {
  counters.requests++;
  counters.bodyBytes += body.length;
  const url = req.url ?? '/';
  const path = url.split('?', 1)[0];
  if (!ids && path.endsWith('/wt')) {
    counters.lines++;
    res.writeHead(200, { 'content-type': 'image/gif', 'content-length': GIF.length });
    res.end(GIF);
    return;
  }
  if (!ids && path.endsWith('/batch')) {
    countLinesOnly(counters, body);
    res.writeHead(200, { 'content-length': 0 });
    res.end();
    return;
  }
  if (req.method === 'GET' && path.endsWith('/wt')) {
    countMappLine(counters, url.slice(url.lastIndexOf('/') + 1));
    res.writeHead(200, { 'content-type': 'image/gif', 'content-length': GIF.length });
    res.end(GIF);
    return;
  }
  if (req.method === 'POST' && path.endsWith('/batch') && !path.startsWith('/v1/')) {
    for (const line of body.toString('utf8').split('\n')) countMappLine(counters, line);
    res.writeHead(200, { 'content-length': 0 });
    res.end();
    return;
  }
  if (req.method === 'POST' && path === '/v1/batch') {
    // Segment: { batch: [{ properties: { i } }] }
    for (const event of readJson(req, body).batch ?? []) {
      counters.lines++;
      countId(counters, event?.properties?.i);
    }
    respondJson(res, { success: true });
    return;
  }
  if (req.method === 'POST' && (path === '/batch/' || path === '/batch')) {
    // PostHog: { api_key, batch: [{ properties: { i } }] }, gzip unless disabled.
    for (const event of readJson(req, body).batch ?? []) {
      counters.lines++;
      countId(counters, event?.properties?.i);
    }
    respondJson(res, { status: 1 });
    return;
  }
  if (req.method === 'POST' && path === '/com.snowplowanalytics.snowplow/tp2') {
    // Snowplow: { schema, data: [{ e: 'se', se_la }] }
    for (const event of readJson(req, body).data ?? []) {
      counters.lines++;
      countId(counters, event?.se_la);
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    res.end('ok');
    return;
  }
  res.writeHead(404, { 'content-length': 0 });
  res.end();
}

function respondJson(res, value) {
  const text = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function createListener(ids) {
  const sockets = new Set();
  const state = { counters: createCounters(), port: 0, up: false, server: undefined };
  state.server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(state.counters, req, res, Buffer.concat(chunks), ids);
      } catch (error) {
        res.writeHead(400, { 'content-length': 0 });
        res.end();
      }
    });
  });
  state.server.keepAliveTimeout = 65_000;
  state.server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  state.listen = (port) =>
    new Promise((resolve, reject) => {
      state.server.once('error', reject);
      state.server.listen(port, '127.0.0.1', () => {
        state.server.off('error', reject);
        state.port = state.server.address().port;
        state.up = true;
        resolve(state.port);
      });
    });
  state.down = () =>
    new Promise((resolve) => {
      state.up = false;
      state.server.close(() => resolve());
      // Kill keep-alive connections too: "down" means refused and reset, like a dead backend.
      for (const socket of sockets) socket.destroy();
    });
  return state;
}

function get(name) {
  const listener = listeners.get(name);
  if (listener === undefined) throw new Error(`no sink listener ${name}`);
  return listener;
}

function snapshot(counters, below) {
  let uniqueBelow;
  if (below !== undefined) {
    uniqueBelow = 0;
    const end = Math.min(below, MAX_IDS);
    for (let i = 0; i < end; i++) if (counters.seen[i] !== 0) uniqueBelow++;
  }
  const { seen, ...rest } = counters;
  return { ...rest, uniqueBelow };
}

serveParent({
  /** `ids: false` = count lines only (part 1), `true` = also track unique/duplicate ids. */
  async open({ name, ids = true }) {
    const listener = createListener(ids);
    listeners.set(name, listener);
    return { port: await listener.listen(0) };
  },
  async down({ name }) {
    await get(name).down();
    return true;
  },
  async up({ name }) {
    const listener = get(name);
    await listener.listen(listener.port);
    return true;
  },
  reset({ name }) {
    get(name).counters = createCounters();
    return true;
  },
  stats({ name, below }) {
    return snapshot(get(name).counters, below);
  },
  /** CPU time of the sink process (its share of a benchmark's machine). */
  cpu() {
    const { user, system } = process.cpuUsage();
    return { cpuUs: user + system };
  },
  /** Stats of every listener at once (one IPC round trip per poll). */
  statsAll({ below = {} }) {
    const out = {};
    for (const [name, listener] of listeners) out[name] = snapshot(listener.counters, below[name]);
    return out;
  },
});
