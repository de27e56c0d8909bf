import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { startCollector, type Collector, type StoredHit } from '@mapp-s2s/collector';
import { main } from '../src/index.js';
import { combinedLine, CUSTOM_FORMAT, customLine, generateEntries, MALFORMED_LINES, TRACK_ID, UA, type LogEntry } from './access-logs.js';

let dir: string;
let collector: Collector;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mapp-import-'));
  collector = await startCollector({ inspector: false, trackIds: [TRACK_ID] });
});

afterEach(async () => {
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
});

function output(tty = false): { write(text: string): boolean; isTTY: boolean; columns: number; text(): string } {
  let text = '';
  return { write: (chunk: string) => ((text += chunk), true), isTTY: tty, columns: 80, text: () => text };
}

async function runImport(args: string[], options: { stdin?: Readable; env?: Record<string, string>; tty?: boolean } = {}) {
  const stdout = output(options.tty);
  const stderr = output(options.tty);
  const code = await main(['import', ...args], {
    stdout,
    stderr,
    env: { HOME: dir, MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url, ...options.env },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function writeLog(name: string, entries: readonly LogEntry[], line = combinedLine): string {
  const path = join(dir, name);
  writeFileSync(path, entries.map((e) => `${line(e)}\n`).join(''));
  return path;
}

const pages = (entries: readonly LogEntry[]): LogEntry[] => entries.filter((e) => e.expect === 'page');
/** Hits by page URL, so order across visitor lanes does not matter. */
const byUrl = (hits: StoredHit[]): Map<string, StoredHit> => new Map(hits.map((hit) => [hit.params.pu as string, hit]));
const urlOf = (e: LogEntry, host = 'www.example.com'): string => `https://${host}${e.uri}`;

describe('mapp-s2s import', () => {
  it('sends one hit per page view of a realistic log, field by field, and reports the rest by reason', async () => {
    const entries = generateEntries(120);
    const log = writeLog('access.log', entries);
    const result = await runImport(['--host', 'www.example.com', log]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const expected = pages(entries);
    const hits = collector.hits();
    expect(hits).toHaveLength(expected.length);
    const got = byUrl(hits);
    for (const e of expected) {
      const hit = got.get(urlOf(e));
      expect(hit).toBeDefined();
      expect(hit!.problems).toEqual([]);
      expect(hit!.p[0]).toBe('600');
      expect(hit!.p[6]).toBe(String(e.time));
      expect(hit!.p[7]).toBe(e.referrer ?? '0');
      expect(hit!.params['X-WT-IP']).toBe(e.ip);
      expect(hit!.params['X-WT-UA']).toBe(e.ua);
      expect(hit!.params['X-WT-RQ']).toBe(urlOf(e));
      expect(hit!.params.eid).toBeUndefined(); // combined logs no cookie: Mapp's UA + IP fallback
    }
    expect(result.stdout).toContain('120 lines read from 1 file');
    expect(result.stdout).toContain(`${expected.length} page views delivered\n`);
    expect(result.stdout).toMatch(/skipped: .*bot 30/);
    expect(result.stdout).toMatch(/asset 20/);
    expect(result.stdout).toMatch(/status 20/);
    expect(result.stdout).toMatch(/method 10/);
    expect(result.stdout).toContain('errors: 0');
  });

  it('reads a custom nginx log_format: eid from the logged wteid cookie, host from the log, client from a trusted X-Forwarded-For', async () => {
    const entries = generateEntries(24).map((e) => ({ ...e, host: 'shop.example.com', xff: `203.0.113.${e.time % 250}, ${e.ip}`, ip: '10.0.0.2' }));
    const log = writeLog('access.log', entries, customLine);
    const result = await runImport(['--format', CUSTOM_FORMAT, '--trust-proxy', '10.0.0.0/8', log]);
    expect(result.code).toBe(0);
    const got = byUrl(collector.hits());
    expect(got.size).toBe(pages(entries).length);
    for (const e of pages(entries)) {
      const hit = got.get(urlOf(e, 'shop.example.com'))!;
      // $remote_addr 10.0.0.2 is trusted; the next hop from the right (e.ip, public) is the client.
      expect(hit.params['X-WT-IP']).toBe(e.xff!.split(', ')[1]);
      expect(hit.params.eid).toBe(e.eid);
    }
    const withEid = pages(entries).filter((e) => e.eid !== undefined);
    expect(withEid.length).toBeGreaterThan(0);
  });

  it('takes the client from the chain only as far as --trust-proxy trusts it', async () => {
    const entries = pages(generateEntries(12)).map((e) => ({ ...e, host: 'shop.example.com', xff: '198.51.100.77, 10.0.0.9', ip: '10.0.0.2' }));
    const log = writeLog('access.log', entries, customLine);
    expect((await runImport(['--format', CUSTOM_FORMAT, '--no-state', log])).code).toBe(0);
    expect(new Set(collector.hits().map((hit) => hit.params['X-WT-IP']))).toEqual(new Set(['10.0.0.2']));
    collector.clear();
    expect((await runImport(['--format', CUSTOM_FORMAT, '--no-state', '--trust-proxy', '10.0.0.0/8', log])).code).toBe(0);
    expect(new Set(collector.hits().map((hit) => hit.params['X-WT-IP']))).toEqual(new Set(['198.51.100.77']));
  });

  it('sends nothing twice: a second run sends nothing, a grown log only its new lines', async () => {
    const first = generateEntries(60);
    const log = writeLog('access.log', first);
    expect((await runImport(['--host', 'www.example.com', log])).code).toBe(0);
    expect(collector.hits()).toHaveLength(pages(first).length);

    const again = await runImport(['--host', 'www.example.com', log]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 lines read from 1 file (1 without new lines)');
    expect(collector.hits()).toHaveLength(pages(first).length);

    const more = generateEntries(36, undefined, 60);
    appendFileSync(log, more.map((e) => `${combinedLine(e)}\n`).join(''));
    // A line still being written (no newline yet) waits for the next run.
    appendFileSync(log, combinedLine(generateEntries(1, undefined, 96)[0]!).slice(0, 40));
    const grown = await runImport(['--host', 'www.example.com', log]);
    expect(grown.stdout).toContain('36 lines read');
    const urls = collector.hits().map((hit) => hit.params.pu);
    expect(urls).toHaveLength(pages(first).length + pages(more).length);
    expect(new Set(urls).size).toBe(urls.length);
    expect(existsSync(join(dir, '.local', 'state', 'mapp-s2s', `import-${TRACK_ID}.json`))).toBe(true);
  });

  it('recognises rotated files (renamed, gzip-compressed) and sends only what is new', async () => {
    const day1 = generateEntries(48);
    const log = writeLog('access.log', day1);
    expect((await runImport(['--host', 'www.example.com', log])).code).toBe(0);
    // More lines arrive after the run, then logrotate: access.log -> access.log.1, a new access.log.
    const late = generateEntries(24, undefined, 48);
    appendFileSync(log, late.map((e) => `${combinedLine(e)}\n`).join(''));
    renameSync(log, join(dir, 'access.log.1'));
    const day2 = generateEntries(24, undefined, 72);
    writeLog('access.log', day2);
    const result = await runImport(['--host', 'www.example.com', join(dir, 'access.log'), join(dir, 'access.log.1')]);
    expect(result.code).toBe(0);
    let urls = collector.hits().map((hit) => hit.params.pu);
    expect(urls).toHaveLength(pages([...day1, ...late, ...day2]).length);
    expect(new Set(urls).size).toBe(urls.length);

    // Next rotation: access.log.1 is compressed to access.log.2.gz, access.log -> access.log.1.
    const rotated = readFileSync(join(dir, 'access.log.1'));
    writeFileSync(join(dir, 'access.log.2.gz'), gzipSync(rotated));
    rmSync(join(dir, 'access.log.1'));
    renameSync(join(dir, 'access.log'), join(dir, 'access.log.1'));
    const day3 = generateEntries(12, undefined, 96);
    writeLog('access.log', day3);
    const files = readdirSync(dir).filter((f) => f.startsWith('access.log')).map((f) => join(dir, f));
    const third = await runImport(['--host', 'www.example.com', ...files]);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('(2 without new lines)');
    urls = collector.hits().map((hit) => hit.params.pu);
    expect(urls).toHaveLength(pages([...day1, ...late, ...day2, ...day3]).length);
    expect(new Set(urls).size).toBe(urls.length);

    // Nothing new anywhere: the finished .gz is passed over by its fingerprint.
    const fourth = await runImport(['--host', 'www.example.com', ...files]);
    expect(fourth.stdout).toContain('0 lines read from 3 files (3 without new lines)');
    const state = JSON.parse(readFileSync(join(dir, '.local', 'state', 'mapp-s2s', `import-${TRACK_ID}.json`), 'utf8')) as { files: Array<{ finished?: string }> };
    expect(state.files.filter((entry) => entry.finished !== undefined)).toHaveLength(1);
  });

  it('imports a gzip file it has never seen, and stdin', async () => {
    const entries = generateEntries(36);
    writeFileSync(join(dir, 'old.log.gz'), gzipSync(entries.map((e) => `${combinedLine(e)}\n`).join('')));
    expect((await runImport(['--host', 'www.example.com', join(dir, 'old.log.gz')])).code).toBe(0);
    expect(collector.hits()).toHaveLength(pages(entries).length);
    collector.clear();
    const stdin = Readable.from([entries.map((e) => combinedLine(e)).join('\n')]); // no final newline: stdin ends, so the last line counts
    const piped = await runImport(['--host', 'www.example.com', '-'], { stdin });
    expect(piped.code).toBe(0);
    expect(collector.hits()).toHaveLength(pages(entries).length);
  });

  it('imports what a truncated gzip file holds and names the damage', async () => {
    const entries = generateEntries(2400);
    const whole = gzipSync(entries.map((e) => `${combinedLine(e)}\n`).join(''));
    writeFileSync(join(dir, 'cut.log.gz'), whole.subarray(0, Math.floor(whole.length * 0.6)));
    const result = await runImport(['--host', 'www.example.com', join(dir, 'cut.log.gz')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/reading .*cut\.log\.gz failed at line \d+/);
    const got = collector.hits().length;
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(pages(entries).length);
  });

  it('counts malformed lines, lists the first 20 with line numbers, and imports the rest', async () => {
    const entries = generateEntries(24);
    const lines = entries.map((e) => combinedLine(e));
    // 30 malformed lines after the first 12 good ones.
    const bad = Array.from({ length: 30 }, (_, i) => MALFORMED_LINES[i % MALFORMED_LINES.length] as string);
    writeFileSync(join(dir, 'access.log'), [...lines.slice(0, 12), ...bad, ...lines.slice(12)].map((l) => `${l}\n`).join(''));
    const result = await runImport(['--host', 'www.example.com', join(dir, 'access.log')]);
    expect(result.code).toBe(0);
    expect(collector.hits()).toHaveLength(pages(entries).length);
    expect(result.stdout).toContain('malformed: 30 (');
    expect(result.stderr).toContain('30 malformed lines skipped:');
    expect(result.stderr).toContain(`${join(dir, 'access.log')}:13: does not match the log format`);
    expect(result.stderr).toContain(`${join(dir, 'access.log')}:15: unreadable time`);
    expect(result.stderr).toContain('... and 10 more (only the first 20 are listed)');
    expect(result.stderr.match(/access\.log:\d+:/g)).toHaveLength(20);
  });

  it('goes on past a line whose URL is too long for any hit', async () => {
    const entries = pages(generateEntries(24));
    const long = { ...entries[0]!, uri: `/${'x'.repeat(40_000)}?q=${'y'.repeat(20_000)}` };
    const log = writeLog('access.log', [long, ...entries.slice(1)]);
    const result = await runImport(['--host', 'www.example.com', log]);
    expect(result.code).toBe(0);
    const urls = new Set(collector.hits().map((hit) => hit.params.pu));
    for (const e of entries.slice(1)) expect(urls.has(urlOf(e))).toBe(true);
    expect(collector.hits().length + (result.stdout.match(/too-large (\d+)/)?.[1] === '1' ? 1 : 0)).toBe(entries.length);
  });

  it('prints the lines with --dry-run and remembers nothing', async () => {
    const entries = generateEntries(24);
    const log = writeLog('access.log', entries);
    const result = await runImport(['--host', 'www.example.com', '--dry-run', log]);
    expect(result.code).toBe(0);
    const printed = result.stdout.trim().split('\n');
    expect(printed).toHaveLength(pages(entries).length);
    for (const line of printed) expect(line).toMatch(/^wt\?p=600,/);
    expect(result.stderr).toContain('page views printed (dry run)');
    expect(collector.requestCount()).toBe(0);
    expect(existsSync(join(dir, '.local', 'state', 'mapp-s2s', `import-${TRACK_ID}.json`))).toBe(false);
  });

  it('writes spool files for mapp-s2s ship with --spool-dir', async () => {
    const entries = generateEntries(36);
    const log = writeLog('access.log', entries);
    const spool = join(dir, 'spool');
    const result = await runImport(['--host', 'www.example.com', '--spool-dir', spool, log], { env: { MAPP_TRACK_DOMAIN: '' } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${pages(entries).length} page views written to the spool`);
    expect(collector.requestCount()).toBe(0);
    const shipped = await main(['ship', '--dir', spool, '--quiet'], { stdout: output(), stderr: output(), env: { MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url } });
    expect(shipped).toBe(0);
    const got = byUrl(collector.hits());
    expect(got.size).toBe(pages(entries).length);
    for (const e of pages(entries)) expect(got.get(urlOf(e))!.p[6]).toBe(String(e.time));
  });

  it('commits nothing that Mapp did not accept: a failed run resends, a later run completes without duplicates', async () => {
    const entries = generateEntries(48);
    const log = writeLog('access.log', entries);
    collector.setFaults({ status: 500 });
    const failed = await runImport(['--host', 'www.example.com', '--max-attempts', '2', log]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('stopped:');
    expect(collector.hits()).toHaveLength(0);
    collector.setFaults({});
    const retried = await runImport(['--host', 'www.example.com', log]);
    expect(retried.code).toBe(0);
    const urls = collector.hits().map((hit) => hit.params.pu);
    expect(urls).toHaveLength(pages(entries).length);
    expect(new Set(urls).size).toBe(urls.length);
  });

  it('stops on a signal after settling and committing what it read; the next run goes on without duplicates', async () => {
    const entries = generateEntries(2400);
    const log = writeLog('access.log', entries);
    const stop = new AbortController();
    const stderr = output(true);
    const write = stderr.write;
    // Interrupt as soon as the first chunk was read (its progress is drawn).
    stderr.write = (text: string) => (text.startsWith('\r[') ? stop.abort() : undefined, write(text));
    const stdout = output();
    const code = await main(['import', '--host', 'www.example.com', log], { stdout, stderr, signal: stop.signal, env: { HOME: dir, MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url } });
    expect(code).toBe(1);
    expect(stderr.text()).toContain('interrupted; run again to go on\nmapp-s2s import: every line read was delivered and its progress kept\n');
    const read = Number(/^([\d,]+) lines read/m.exec(stdout.text())![1]!.replace(/,/g, ''));
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(entries.length);
    expect(collector.hits()).toHaveLength(pages(entries.slice(0, read)).length);
    const rest = await runImport(['--host', 'www.example.com', log]);
    expect(rest.code).toBe(0);
    const urls = collector.hits().map((hit) => hit.params.pu);
    expect(urls).toHaveLength(pages(entries).length);
    expect(new Set(urls).size).toBe(urls.length);
  });

  it('exits 3 while another run holds the lock', async () => {
    const log = writeLog('access.log', generateEntries(12));
    const state = join(dir, 'state.json');
    writeFileSync(`${state}.lock`, `${process.pid}\n${hostname()}\n${new Date().toISOString()}\n`);
    const result = await runImport(['--host', 'www.example.com', '--state', state, log]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('another import is running');
    expect(collector.requestCount()).toBe(0);
  });

  it('reads the common format, and warns that without a User-Agent every line counts as a bot', async () => {
    const entries = generateEntries(24);
    const log = join(dir, 'access.log');
    writeFileSync(log, entries.map((e) => `${e.ip} - frank [${combinedLine(e).split('[')[1]!.split(']')[0]}] "${e.method} ${e.uri} HTTP/1.0" ${e.status} 2326\n`).join(''));
    const result = await runImport(['--format', 'common', '--host', 'www.example.com', log]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('no $http_user_agent');
    expect(result.stdout).toContain('24 lines read');
    expect(result.stdout).toContain('0 page views delivered');
    expect(result.stdout).toMatch(/bot \d+/);
    expect(collector.requestCount()).toBe(0);
  });

  it('reads JSON lines with a field mapping', async () => {
    const entries = pages(generateEntries(24));
    const log = join(dir, 'access.json');
    writeFileSync(log, entries.map((e) => `${JSON.stringify({ client: e.ip, ts: new Date(e.time).toISOString(), verb: e.method, path: e.uri, code: e.status, agent: e.ua, ref: e.referrer ?? '', vhost: 'api.example.com' })}\n`).join(''));
    const result = await runImport(['--format', 'json', '--field', 'ip=client', '--field', 'time=ts', '--field', 'method=verb', '--field', 'uri=path', '--field', 'status=code', '--field', 'user_agent=agent', '--field', 'referrer=ref', '--field', 'host=vhost', log]);
    expect(result.code).toBe(0);
    const got = byUrl(collector.hits());
    for (const e of entries) {
      const hit = got.get(urlOf(e, 'api.example.com'))!;
      expect(hit.p[6]).toBe(String(e.time));
      expect(hit.params['X-WT-IP']).toBe(e.ip);
      expect(hit.params['X-WT-UA']).toBe(e.ua);
    }
  });

  it('refuses bad usage with exit 2 and a message that names the fix', async () => {
    expect(await runImport([])).toMatchObject({ code: 2, stderr: expect.stringContaining('no log file given') });
    expect(await runImport(['--format', '$remote_addr$status', 'x.log'])).toMatchObject({ code: 2, stderr: expect.stringContaining('touch') });
    expect(await runImport(['--field', 'ip=x', 'x.log'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--format json') });
    expect(await runImport(['--host', 'https://www.example.com/', 'x.log'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--host') });
    expect(await runImport(['--track-id', '123', 'x.log'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--track-id') });
    expect(await runImport(['x.log'], { env: { MAPP_TRACK_DOMAIN: '' } })).toMatchObject({ code: 2, stderr: expect.stringContaining('--track-domain') });
  });

  it('names an unreadable file and exits 1, importing the others', async () => {
    const log = writeLog('access.log', generateEntries(12));
    const result = await runImport(['--host', 'www.example.com', join(dir, 'missing.log'), log]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot read');
    expect(result.stderr).toContain('ENOENT');
    expect(collector.hits()).toHaveLength(pages(generateEntries(12)).length);
  });

  it('shows the help with an example per format', async () => {
    const result = await runImport(['--help']);
    expect(result.code).toBe(0);
    for (const word of ['combined', 'common', 'log_format', '--format json', '--dry-run', '--spool-dir', '--trust-proxy', 'Exit codes']) expect(result.stdout).toContain(word);
    const top = output();
    await main(['--help'], { stdout: top, stderr: output() });
    expect(top.text()).toContain('import');
  });

  it('draws a progress bar on a terminal', async () => {
    const log = writeLog('access.log', generateEntries(48));
    const result = await runImport(['--host', 'www.example.com', log], { tty: true });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/\r\[#+\] 100%  48 lines, \d+ page views, file 1\/1/);
  });

  it('UA helper sanity: the odd UA survives nginx escaping', () => {
    expect(combinedLine({ ...generateEntries(1)[0]!, ua: UA.odd })).toContain('\\x22Pixel 8\\x22');
  });
});

/** Polls `condition` until it holds, failing after `ms`: no fixed sleeps. */
async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const statePath = (): string => join(dir, '.local', 'state', 'mapp-s2s', `import-${TRACK_ID}.json`);
const savedState = (): { files: Array<{ offset: number; lines: number; path: string }> } => JSON.parse(readFileSync(statePath(), 'utf8'));
/** The committed lines of `path`, 0 when the state does not know it. */
const committedLines = (path: string): number => (existsSync(statePath()) ? (savedState().files.find((entry) => entry.path === path)?.lines ?? 0) : 0);
const badTimeLine = (time: string): string => `198.51.100.7 - - [${time}] "GET /bad-time HTTP/1.1" 200 5 "-" "${UA.chrome}"`;

describe('mapp-s2s import: bad times and hosts are malformed lines, never a stopped run', () => {
  it('counts and lists lines from before 2001, from 1970 and earlier, and impossible dates as malformed (time), imports the rest and commits', async () => {
    const entries = pages(generateEntries(24));
    const good = entries.map((e) => combinedLine(e));
    const times = ['14/Mar/0001:09:26:53 +0000', '01/Jan/1970:00:30:00 +0100', '14/Mar/1999:09:26:53 +0000', '31/Feb/2025:09:26:53 +0100', '14/Mar/2025:09:26:60 +0100', '14/Mar/2025:09:26:53 +9999'];
    const log = join(dir, 'access.log');
    writeFileSync(log, [...good.slice(0, 4), ...times.map(badTimeLine), ...good.slice(4)].map((l) => `${l}\n`).join(''));
    const result = await runImport(['--host', 'www.example.com', log]);
    expect(result.code).toBe(0);
    expect(collector.hits()).toHaveLength(entries.length);
    expect(collector.hits().some((hit) => String(hit.params.pu).includes('bad-time'))).toBe(false);
    expect(result.stdout).toContain(`${entries.length} page views delivered\n`);
    expect(result.stdout).toContain(`malformed: ${times.length} (time ${times.length})`);
    for (let n = 5; n < 5 + times.length; n++) expect(result.stderr).toContain(`${log}:${n}: unreadable time, an impossible date, or outside 2001-09-09..2286-11-20`);
    // The state is written: the next run neither resends the good lines nor trips over the bad ones.
    expect(committedLines(log)).toBe(good.length + times.length);
    const again = await runImport(['--host', 'www.example.com', log]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 lines read from 1 file (1 without new lines)');
    expect(collector.hits()).toHaveLength(entries.length);
  });

  it('does the same for JSON lines: a 1969 or 30 February time is malformed (time)', async () => {
    const entries = pages(generateEntries(12));
    const log = join(dir, 'access.json');
    const json = (e: LogEntry, time: string): string => JSON.stringify({ remote_addr: e.ip, time_iso8601: time, request: `GET ${e.uri} HTTP/1.1`, status: 200, http_user_agent: UA.chrome });
    writeFileSync(log, [json(entries[0]!, '1969-12-31T23:00:00+00:00'), ...entries.map((e) => json(e, new Date(e.time).toISOString())), json(entries[1]!, '2025-02-30T09:26:53+01:00')].map((l) => `${l}\n`).join(''));
    const result = await runImport(['--format', 'json', '--host', 'www.example.com', log]);
    expect(result.code).toBe(0);
    expect(collector.hits()).toHaveLength(entries.length);
    expect(result.stdout).toContain('malformed: 2 (time 2)');
    expect(result.stderr).toContain(`${log}:1: unreadable time`);
    expect(result.stderr).toContain(`${log}:${entries.length + 2}: unreadable time`);
  });

  it('checks a logged host as --host is checked: a host with a path or query is malformed (host), never part of a page URL', async () => {
    const entries = pages(generateEntries(24)).map((e) => ({ ...e, host: 'shop.example.com' }));
    const evil = [{ ...entries[0]!, uri: '/p6', host: 'evil.example/path?x=' }, { ...entries[1]!, uri: '/p7', host: 'evil.example?x=' }];
    const log = writeLog('access.log', [...entries, ...evil], customLine);
    const result = await runImport(['--format', CUSTOM_FORMAT, log]);
    expect(result.code).toBe(0);
    const urls = collector.hits().map((hit) => String(hit.params.pu));
    expect(urls).toHaveLength(entries.length);
    expect(urls.every((url) => url.startsWith('https://shop.example.com/'))).toBe(true);
    expect(collector.hits().some((hit) => JSON.stringify(hit.params).includes('evil'))).toBe(false);
    expect(result.stdout).toContain('malformed: 2 (host 2)');
    expect(result.stderr).toContain(`${log}:${entries.length + 1}: the logged host is no host name (host or host:port)`);
  });
});

describe('mapp-s2s import: a logged client that is no IP address', () => {
  it('is malformed (ip), listed and counted, never sent without X-WT-IP', async () => {
    const entries = pages(generateEntries(12));
    const bad = ['crawl-66-249-66-1.googlebot.com', 'unix:', 'not-an-ip'].map((ip, n) => ({ ...entries[n]!, uri: `/no-ip-${n}`, ip }));
    const log = writeLog('access.log', [...entries, ...bad]);
    const result = await runImport(['--host', 'www.example.com', log]);
    expect(result.code).toBe(0);
    expect(collector.hits()).toHaveLength(entries.length);
    expect(collector.hits().every((hit) => typeof hit.params['X-WT-IP'] === 'string' && hit.params['X-WT-IP'] !== '')).toBe(true);
    expect(result.stdout).toContain('malformed: 3 (ip 3)');
    expect(result.stderr).toContain(`${log}:${entries.length + 1}: the logged client is no IP address (a host name, unix:)`);
  });
});

describe('mapp-s2s import: a last line without newline', () => {
  const twoLines = (): { entries: LogEntry[]; text: string } => {
    const entries = pages(generateEntries(4));
    return { entries, text: `${combinedLine(entries[0]!)}\n${combinedLine(entries[1]!)}` };
  };

  it('is read when nothing is remembered (--no-state, --dry-run), as gzip and stdin are', async () => {
    const { entries, text } = twoLines();
    const log = join(dir, 'access.log');
    writeFileSync(log, text);
    const stateless = await runImport(['--host', 'www.example.com', '--no-state', log]);
    expect(stateless.code).toBe(0);
    expect(stateless.stdout).toContain('2 lines read');
    expect(stateless.stdout).not.toContain('incomplete');
    expect(collector.hits().map((hit) => hit.params.pu).sort()).toEqual(entries.slice(0, 2).map((e) => urlOf(e)).sort());
    const dry = await runImport(['--host', 'www.example.com', '--dry-run', log]);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('2 lines read');
    expect(dry.stdout.trim().split('\n')).toHaveLength(2);
    writeFileSync(join(dir, 'access.log.gz'), gzipSync(text));
    const zipped = await runImport(['--host', 'www.example.com', '--dry-run', join(dir, 'access.log.gz')]);
    expect(zipped.stderr).toContain('2 lines read');
  });

  it('waits for the next run when a state is kept, and the summary says so', async () => {
    const { entries, text } = twoLines();
    const log = join(dir, 'access.log');
    writeFileSync(log, text);
    const first = await runImport(['--host', 'www.example.com', log]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('1 lines read');
    expect(first.stdout).toContain('1 incomplete last line (no newline yet) left for the next run');
    expect(collector.hits()).toHaveLength(1);
    appendFileSync(log, '\n');
    const second = await runImport(['--host', 'www.example.com', log]);
    expect(second.stdout).toContain('1 lines read');
    expect(second.stdout).not.toContain('incomplete');
    expect(collector.hits().map((hit) => hit.params.pu).sort()).toEqual(entries.slice(0, 2).map((e) => urlOf(e)).sort());
  });

  it('reads gzip bytes on stdin like a gzip file', async () => {
    const entries = generateEntries(24);
    const stdin = Readable.from([gzipSync(entries.map((e) => `${combinedLine(e)}\n`).join(''))]);
    const result = await runImport(['--host', 'www.example.com', '-'], { stdin });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('24 lines read');
    expect(result.stdout).not.toContain('malformed');
    expect(collector.hits().map((hit) => hit.params.pu).sort()).toEqual(pages(entries).map((e) => urlOf(e)).sort());
  });

  it('reads stdin whose gzip magic bytes arrive in separate chunks, and plain stdin of one byte', async () => {
    const entries = generateEntries(12);
    const zipped = gzipSync(entries.map((e) => `${combinedLine(e)}\n`).join(''));
    const split = await runImport(['--host', 'www.example.com', '--dry-run', '-'], { stdin: Readable.from([zipped.subarray(0, 1), zipped.subarray(1, 9), zipped.subarray(9)]) });
    expect(split.stderr).toContain('12 lines read');
    expect(split.stdout.trim().split('\n')).toHaveLength(pages(entries).length);
    const tiny = await runImport(['--host', 'www.example.com', '--dry-run', '-'], { stdin: Readable.from([Buffer.from('x')]) });
    expect(tiny.stderr).toContain('1 lines read');
    expect(tiny.stderr).toContain('malformed: 1 (format 1)');
  });
});

describe('mapp-s2s import: the summary tells what Mapp accepted', () => {
  it('reports a 400 as rejected, not sent, and says exactly that nothing was committed', async () => {
    const entries = generateEntries(24);
    const log = writeLog('access.log', entries);
    collector.setFaults({ status: 400 });
    const result = await runImport(['--host', 'www.example.com', log]);
    expect(result.code).toBe(1);
    const n = pages(entries).length;
    expect(result.stdout).toContain(`0 page views delivered, ${n} rejected by Mapp (HTTP 400)\n`);
    expect(result.stdout).not.toContain('sent');
    expect(result.stdout).toContain(`errors: ${n}`);
    // The first rejected batch stops the run; the summary above counts them all.
    expect(result.stderr).toMatch(/mapp-s2s import: stopped: Mapp rejected \d+ hits? \(HTTP 400\); run again later\n/);
    expect(result.stderr).toContain(`mapp-s2s import: ${log}: no progress was committed in this run; the next run sends again from line 1 (lines 1-24 were read)\n`);
    expect(result.stderr).not.toContain('progress is kept up to the last delivered lines');
    expect(committedLines(log)).toBe(0);
    collector.setFaults({});
    expect((await runImport(['--host', 'www.example.com', log])).code).toBe(0);
    expect(collector.hits()).toHaveLength(n);
  });

  it('reports retries exhausted on a 503 as not delivered', async () => {
    const entries = generateEntries(24);
    const log = writeLog('access.log', entries);
    collector.setFaults({ status: 503 });
    const result = await runImport(['--host', 'www.example.com', '--max-attempts', '1', log]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`0 page views delivered, ${pages(entries).length} not delivered (retries exhausted: 1 attempts, last: HTTP 503)\n`);
    expect(result.stderr).toContain('no progress was committed in this run');
  });

  it('says that nothing is remembered with --no-state', async () => {
    const log = writeLog('access.log', generateEntries(24));
    collector.setFaults({ status: 404 });
    const result = await runImport(['--host', 'www.example.com', '--no-state', log]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('0 page views delivered, 8 rejected by Mapp (HTTP 404)');
    expect(result.stderr).toContain(`mapp-s2s import: ${log}: nothing is remembered (--no-state), so a new run sends all of it again, from line 1\n`);
    expect(existsSync(statePath())).toBe(false);
  });

  it('words partial progress exactly', async () => {
    const { describeProgress } = await import('../src/commands/import.js');
    const base = { remembers: true, delivered: 5 } as Parameters<typeof describeProgress>[0];
    expect(describeProgress({ ...base, progress: [{ file: 'a.log', startLine: 10, readLine: 90, committedLine: 50 }] })).toEqual(['a.log: progress is kept up to line 50; the next run sends again from line 51 (read up to 90)']);
    expect(describeProgress({ ...base, progress: [{ file: 'a.log', startLine: 10, readLine: 90, committedLine: 90 }] })).toEqual(['every line read was delivered and its progress kept']);
    expect(describeProgress({ ...base, progress: [{ file: 'stdin', startLine: 0, readLine: 9, committedLine: undefined }] })).toEqual(['stdin: nothing is remembered (stdin never is), so a new run sends all of it again, from line 1']);
    expect(describeProgress({ ...base, remembers: false, progress: [{ file: 'a.log', startLine: 40, readLine: 90, committedLine: undefined }] }, 'dry-run')).toEqual(['a.log: nothing is remembered (--dry-run), so a new run reads all of it again, from line 41']);
  });
});

describe('mapp-s2s import: Retry-After and signals end a waiting run within the bound', () => {
  it('stops when Mapp asks to wait longer than --max-retry-after (default 60 s), within --timeout, and the next run goes on', async () => {
    const entries = generateEntries(24);
    const log = writeLog('access.log', entries);
    collector.setFaults({ status: 429, retryAfter: 100_000 });
    const started = Date.now();
    const result = await runImport(['--host', 'www.example.com', '--timeout', '1000', log]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('stopped: Mapp asked to wait 100000 s before the next attempt (HTTP 429), longer than --max-retry-after 60 s; run again later');
    expect(result.stdout).toContain('0 page views delivered');
    expect(result.stderr).toContain('no progress was committed in this run');
    expect(committedLines(log)).toBe(0);
    collector.setFaults({});
    expect((await runImport(['--host', 'www.example.com', log])).code).toBe(0);
    const urls = collector.hits().map((hit) => hit.params.pu);
    expect(urls).toHaveLength(pages(entries).length);
    expect(new Set(urls).size).toBe(urls.length);
  });

  it("respects Mapp's wait on the way out: the batch answered 429 + a long Retry-After is not sent again at the stop", async () => {
    // One page view: exactly one POST before the stop.
    const log = writeLog('one.log', pages(generateEntries(24)).slice(0, 1));
    collector.setFaults({ status: 429, retryAfter: 3600 });
    const result = await runImport(['--host', 'www.example.com', '--timeout', '2000', log]);
    expect(result.code).toBe(1);
    expect(collector.requestCount()).toBe(1);
    expect(result.stdout).toContain('0 page views delivered');
    collector.setFaults({});
    expect((await runImport(['--host', 'www.example.com', log])).code).toBe(0);
    expect(collector.hits()).toHaveLength(1);
  });

  it('never overflows a timer on a Retry-After beyond 2^31-1 ms', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const log = writeLog('access.log', generateEntries(24));
      collector.setFaults({ status: 429, retryAfter: 3_000_000 });
      const result = await runImport(['--host', 'www.example.com', '--timeout', '500', log]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Mapp asked to wait 2147483 s or more before the next attempt (HTTP 429)');
      // Retries that fired at once would have reached the collector many times.
      expect(collector.requestCount()).toBeLessThan(10);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('waits for a Retry-After within --max-retry-after and delivers', async () => {
    const entries = generateEntries(24);
    const log = writeLog('access.log', entries);
    collector.setFaults({ status: 429, retryAfter: 1, errorRate: 0.5, seed: 3 });
    const result = await runImport(['--host', 'www.example.com', '--max-retry-after', '1', '--max-attempts', '20', log]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${pages(entries).length} page views delivered\n`);
    expect(collector.requestCount()).toBeGreaterThan(1);
  }, 30_000);

  /**
   * Starts an import of one batch (one client, so one lane) against a collector answering 503
   * with `Retry-After: 50`, and calls `whileWaiting` when the tracker says it waits for the
   * retry (its first retry warning is written just before the retry timer is set).
   */
  function importWaitingForRetry(args: string[], whileWaiting: () => void) {
    const entries = pages(generateEntries(24)).map((e) => ({ ...e, ip: '198.51.100.9', ua: UA.chrome }));
    const log = writeLog('access.log', entries);
    collector.setFaults({ status: 503, retryAfter: 50 });
    const stop = new AbortController();
    const stdout = output();
    const stderr = output();
    const write = stderr.write;
    let waiting = 0;
    stderr.write = (text: string) => {
      if (text.includes('retrying with backoff') && waiting++ === 0) {
        whileWaiting();
        stop.abort();
      }
      return write(text);
    };
    const running = main(['import', '--host', 'www.example.com', ...args, log], { stdout, stderr, signal: stop.signal, env: { HOME: dir, MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url } });
    return { entries, log, stdout, stderr, running };
  }

  it('ends an interrupted run that waits for a retry within --timeout, reports the hits as not delivered and commits nothing', async () => {
    let stopped = 0;
    const run = importWaitingForRetry(['--timeout', '1000'], () => (stopped = Date.now()));
    const code = await run.running;
    expect(stopped).toBeGreaterThan(0);
    // Retry-After asked for 50 s; the interrupted run ends within --timeout (1 s).
    expect(Date.now() - stopped).toBeLessThan(5000);
    expect(code).toBe(1);
    expect(run.stderr.text()).toContain('mapp-s2s import: interrupted; run again to go on\n');
    expect(run.stderr.text()).toContain(`${run.log}: no progress was committed in this run; the next run sends again from line 1 (lines 1-${run.entries.length} were read)`);
    expect(run.stdout.text()).toContain(`0 page views delivered, ${run.entries.length} not delivered (the run ended before Mapp accepted them)`);
    expect(committedLines(run.log)).toBe(0);
  });

  it('tries a waiting batch once more at the interrupt: delivered, its lines are committed', async () => {
    const run = importWaitingForRetry([], () => collector.setFaults({}));
    expect(await run.running).toBe(1);
    expect(run.stderr.text()).toContain('mapp-s2s import: every line read was delivered and its progress kept\n');
    expect(run.stdout.text()).toContain(`${run.entries.length} page views delivered\n`);
    expect(committedLines(run.log)).toBe(run.entries.length);
    const again = await runImport(['--host', 'www.example.com', run.log]);
    expect(again.stdout).toContain('0 lines read');
    expect(collector.hits()).toHaveLength(run.entries.length);
  });

  it('ends on a real SIGTERM while waiting for a retry, within --timeout, with exit code 1', async () => {
    const log = writeLog('access.log', generateEntries(24));
    collector.setFaults({ status: 503, retryAfter: 50 });
    const root = join(__dirname, '..', '..', '..');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'packages/cli/src/bin.ts'), 'import', '--host', 'www.example.com', '--timeout', '1000', log], {
      cwd: root,
      env: { ...process.env, HOME: dir, XDG_STATE_HOME: '', MAPP_IMPORT_STATE: '', MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => collector.requestCount() >= 1, 20_000);
    const signalled = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(code).toBe(1);
    expect(stderr).toContain('stopping: delivering the lines read so far, for at most 1.0 s');
    expect(stderr).toContain('interrupted; run again to go on');
    expect(committedLines(log)).toBe(0);
  }, 30_000);
});

describe('mapp-s2s import: a reader that stops reading', () => {
  it('--dry-run into `| head -1`: ends quietly with exit code 0, no stack trace', async () => {
    const log = writeLog('access.log', generateEntries(20_000));
    const root = join(__dirname, '..', '..', '..');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'packages/cli/src/bin.ts'), 'import', '--track-id', TRACK_ID, '--host', 'www.example.com', '--dry-run', '--no-state', log], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // What `head -1` does: read the first line, then close the pipe.
    let first = '';
    await new Promise<void>((resolve) => {
      const onData = (chunk: Buffer): void => {
        first += chunk.toString();
        if (!first.includes('\n')) return;
        child.stdout.off('data', onData);
        child.stdout.destroy();
        resolve();
      };
      child.stdout.on('data', onData);
    });
    expect(first.split('\n', 1)[0]).toMatch(/^wt\?p=600,/);
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at .*\.js:\d+/);
  }, 60_000);
});

describe('mapp-s2s import: a damaged state file', () => {
  it.each([
    ['"offset": -5', 'files[0].offset is -5, not a whole number >= 0'],
    ['"offset": 1.5', 'files[0].offset is 1.5, not a whole number >= 0'],
    ['"offset": "12"', 'files[0].offset is "12", not a whole number >= 0'],
    ['"lines": -1', 'files[0].lines is -1, not a whole number >= 0'],
    ['"headLength": 99999', 'files[0].headLength is 99999, not a whole number from 0 to 4096'],
    ['"head": "zz"', 'files[0].head is "zz", not a SHA-1 in hex'],
  ])('exits 2 naming the file and the field for %s', async (field, message) => {
    const log = writeLog('access.log', generateEntries(12));
    const state = join(dir, 'state.json');
    const entry: Record<string, unknown> = { dev: 1, ino: 2, headLength: 10, head: 'a'.repeat(40), offset: 0, lines: 0, path: log, seen: Date.now() };
    const [key, value] = field.split(': ') as [string, string];
    entry[JSON.parse(key) as string] = JSON.parse(value);
    writeFileSync(state, JSON.stringify({ version: 1, files: [entry] }));
    const result = await runImport(['--host', 'www.example.com', '--state', state, log]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`the state file ${state} is damaged (${message})`);
    expect(result.stderr).not.toContain('Symbol(kState)');
    expect(collector.requestCount()).toBe(0);
  });

  it('takes device and inode numbers beyond 2^53 (64-bit Windows file ids), which are identities, not counts', async () => {
    const log = writeLog('access.log', generateEntries(12));
    const state = join(dir, 'state.json');
    writeFileSync(state, JSON.stringify({ version: 1, files: [{ dev: 2 ** 60, ino: 2 ** 63, headLength: 10, head: 'a'.repeat(40), offset: 0, lines: 0, path: log, seen: Date.now() }] }));
    const result = await runImport(['--host', 'www.example.com', '--state', state, log]);
    expect(result.stderr).not.toContain('is damaged');
    expect(result.code).toBe(0);
  });
});

describe('mapp-s2s import: flag bounds', () => {
  it.each([
    [['--timeout', '3000000000'], '--timeout must be at most 600,000'],
    [['--timeout', '0'], '--timeout must be a positive integer'],
    [['--max-retry-after', '100000'], '--max-retry-after must be at most 86,400'],
    [['--max-retry-after', '1e3'], '--max-retry-after must be a positive integer'],
    [['--max-attempts', '0x10'], '--max-attempts must be a positive integer'],
  ])('refuses %p with exit 2', async (flags, message) => {
    const result = await runImport([...flags, 'x.log']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe('runImport: a per-line failure never stops the run', () => {
  it('counts a record the tracker refuses as malformed (record) and goes on with the next lines', async () => {
    const { createTracker } = await import('@mapp-s2s/core/node');
    const { runImport: run } = await import('../src/import/run-import.js');
    const { compileLogFormat } = await import('../src/import/log-format.js');
    const entries = pages(generateEntries(24));
    const log = writeLog('access.log', entries);
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', dryRun: true, flushOnExit: false, logger: { debug() {}, warn() {}, error() {} } }, {});
    const real = tracker.trackRecordedPageView!.bind(tracker);
    // The third page view is refused the way the core refuses a record (before any hit is built).
    let calls = 0;
    tracker.trackRecordedPageView = (record) => (++calls === 3 ? Promise.resolve({ ok: false, status: 'failed', error: new TypeError('mapp-s2s: trackRecordedPageView() needs the record\'s `time` in ms since the epoch') }) : real(record));
    const printed: string[] = [];
    const report = await run({ files: [log], parse: compileLogFormat('combined').parse, site: { host: 'www.example.com', scheme: undefined }, tracker, state: undefined, printLine: (line) => printed.push(line) });
    expect(report.stoppedBy).toBeUndefined();
    expect(report.malformedByReason).toEqual({ record: 1 });
    expect(report.malformedLines).toEqual([{ file: log, line: 3, reason: 'record', detail: 'trackRecordedPageView() needs the record\'s `time` in ms since the epoch' }]);
    expect(printed).toHaveLength(entries.length - 1);
    expect(report.errors).toBe(0);
  });
});
