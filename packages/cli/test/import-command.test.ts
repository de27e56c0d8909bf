import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
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
    expect(result.stdout).toContain(`${expected.length} page views sent`);
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
    expect(stderr.text()).toContain('interrupted; every line read was settled');
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
    expect(result.stdout).toContain('0 page views sent');
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
