import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { CLI_VERSION, main } from '../src/index.js';

const TRACK_ID = '123451234512345';
let dir: string;
let collector: Collector;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mapp-ship-'));
  collector = await startCollector({ inspector: false, trackIds: [TRACK_ID] });
});

afterEach(async () => {
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
});

function line(n: number): string {
  return `wt?p=600,page${n},,,,,1700000000000,0,,&eid=8170000000000000001&cp1=${n}`;
}

/** Writes a spool file holding lines [from, to). */
function spoolFile(id: number, from: number, to: number, ext = 'log'): string {
  const path = join(dir, `MappIntelligenceRequests-${id}.${ext}`);
  writeFileSync(path, Array.from({ length: to - from }, (_, i) => `${line(from + i)}\n`).join(''));
  return path;
}

function output(tty = false): { write(text: string): boolean; isTTY: boolean; columns: number; text(): string } {
  let text = '';
  return { write: (chunk: string) => ((text += chunk), true), isTTY: tty, columns: 80, text: () => text };
}

async function ship(args: string[] = [], options: { env?: Record<string, string>; tty?: boolean } = {}) {
  const stdout = output(options.tty);
  const stderr = output(options.tty);
  const code = await main(['ship', '--dir', dir, ...args], {
    stdout,
    stderr,
    env: { MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url, ...options.env },
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const received = (): number[] => collector.hits().map((hit) => Number(hit.params.cp1));
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('mapp-s2s ship', () => {
  it('ships every .log file in order, in batches, deletes them, and exits 0', async () => {
    spoolFile(1700000000002, 2500, 2600);
    spoolFile(1700000000001, 0, 2500);
    const result = await ship(['--batch-size', '1000']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^2600 lines shipped from 2 of 2 files in \d+\.\d s\n$/);
    expect(received()).toEqual(range(0, 2600));
    expect(collector.requestCount()).toBe(4); // 1000 + 1000 + 500, then 100
    expect(readdirSync(dir)).toEqual([]);
  });

  it('exits 0 with "nothing to ship" on an empty folder', async () => {
    expect(await ship()).toEqual({ code: 0, stdout: `nothing to ship in ${dir}\n`, stderr: '' });
  });

  it('finishes stale .tmp files first and leaves a live writer\'s .tmp alone', async () => {
    const stale = spoolFile(1700000000001, 0, 3, 'tmp');
    const old = new Date(Date.now() - 31 * 60 * 1000);
    utimesSync(stale, old, old);
    spoolFile(1700000000002, 3, 5, 'tmp');
    expect((await ship()).code).toBe(0);
    expect(received()).toEqual([0, 1, 2]);
    expect(readdirSync(dir)).toEqual(['MappIntelligenceRequests-1700000000002.tmp']);
  });

  it('resumes a partly shipped file from its .ack record instead of resending it', async () => {
    spoolFile(1700000000001, 0, 10);
    writeFileSync(join(dir, 'MappIntelligenceRequests-1700000000001.ack'), '0-5\n');
    expect((await ship()).code).toBe(0);
    expect(received()).toEqual([6, 7, 8, 9]);
  });

  it('exits 1 and keeps the files when Mapp stays unreachable; the next run ships them once', async () => {
    spoolFile(1700000000001, 0, 30);
    spoolFile(1700000000002, 30, 40);
    collector.setFaults({ status: 503 });
    const failed = await ship(['--max-attempts', '2', '--batch-size', '20']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/stopped, 2 files left: gave up after 2 attempts \(HTTP 503\)/);
    expect(readdirSync(dir).filter((name) => name.endsWith('.log'))).toHaveLength(2);
    collector.setFaults({});
    expect((await ship(['--batch-size', '20'])).code).toBe(0);
    expect(received()).toEqual(range(0, 40));
  });

  it('honours 429 Retry-After and connection resets', async () => {
    spoolFile(1700000000001, 0, 5);
    collector.setFaults({ status: 429, retryAfter: 1, errorRate: 0.5, dropRate: 0.2, seed: 11 } as never);
    const result = await ship(['--batch-size', '1', '--max-attempts', '20']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/retries/);
    expect(received()).toEqual(range(0, 5));
  }, 30_000);

  it('stops cleanly when Mapp asks to wait longer than --max-retry-after, keeping the files and the progress; the next run continues', async () => {
    spoolFile(1700000000001, 0, 10);
    // Seed 10: four answers pass, the fifth is a 429 asking for 100000 s.
    collector.setFaults({ status: 429, retryAfter: 100_000, errorRate: 0.5, seed: 10 });
    const started = Date.now();
    const result = await ship(['--batch-size', '1']);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('stopped, 1 files left: Mapp asked to wait 100000 s before retrying (HTTP 429, Retry-After), longer than the 60 s allowed by --max-retry-after; nothing was deleted and the progress so far is kept: the next run continues from here');
    expect(received()).toEqual(range(0, 4));
    expect(readFileSync(join(dir, 'MappIntelligenceRequests-1700000000001.ack'), 'utf8')).toBe('0\n1\n2\n3\n');
    expect(collector.requestCount()).toBe(5);
    collector.setFaults({});
    expect((await ship(['--batch-size', '1'])).code).toBe(0);
    expect(received()).toEqual(range(0, 10));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never sets a timer beyond 2^31-1 ms: a Retry-After of 3000000 s stops the run instead of retrying at once', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      spoolFile(1700000000001, 0, 3);
      collector.setFaults({ status: 429, retryAfter: 3_000_000 });
      const result = await ship(['--max-attempts', '20']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Mapp asked to wait 3000000 s before retrying');
      expect(collector.requestCount()).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('takes --max-retry-after in seconds: a 2 s Retry-After stops a run that allows 1 s', async () => {
    spoolFile(1700000000001, 0, 3);
    collector.setFaults({ status: 503, retryAfter: 2 });
    const result = await ship(['--max-retry-after', '1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Mapp asked to wait 2 s before retrying (HTTP 503, Retry-After), longer than the 1 s allowed by --max-retry-after');
    expect(readdirSync(dir)).toEqual(['MappIntelligenceRequests-1700000000001.log']);
  });

  it('stops on 404 (unknown track id) and deletes nothing', async () => {
    spoolFile(1700000000001, 0, 3);
    const result = await ship([], { env: { MAPP_TRACK_ID: '999999999999999' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/HTTP 404: Mapp does not know track id 999999999999999; nothing was deleted/);
    expect(readdirSync(dir)).toContain('MappIntelligenceRequests-1700000000001.log');
  });

  it('stops on a redirect from the track domain (http:// that moved to https://) and deletes nothing', async () => {
    spoolFile(1700000000001, 0, 3);
    const moved = createServer((req, res) => {
      res.writeHead(301, { location: `https://${req.headers.host ?? 'x'}${req.url ?? '/'}`, 'content-length': 0 });
      res.end();
    });
    moved.listen(0, '127.0.0.1');
    await once(moved, 'listening');
    try {
      const result = await ship([], { env: { MAPP_TRACK_DOMAIN: `http://127.0.0.1:${(moved.address() as AddressInfo).port}` } });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('HTTP 301: the track domain answers with a redirect, which is never followed; check --track-domain');
      expect(result.stderr).toContain('nothing was deleted');
      expect(readdirSync(dir)).toContain('MappIntelligenceRequests-1700000000001.log');
      // Pointed at Mapp (here: the collector), the next run ships every line.
      const again = await ship();
      expect(again.code).toBe(0);
      expect(received()).toHaveLength(3);
    } finally {
      moved.close();
    }
  });

  it('drops batches rejected with another 4xx, ships the rest, and exits 1', async () => {
    spoolFile(1700000000001, 0, 10);
    collector.setFaults({ status: 400, errorRate: 0.5, seed: 5 } as never);
    const result = await ship(['--batch-size', '1']);
    expect(result.code).toBe(1);
    const rejected = Number(/(\d+) rejected by Mapp/.exec(result.stdout)?.[1]);
    expect(rejected).toBeGreaterThan(0);
    expect(received().length + rejected).toBe(10);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never lets two runs ship the same folder: the second exits 3', async () => {
    spoolFile(1700000000001, 0, 50);
    collector.setFaults({ latencyMs: 50 });
    const [first, second] = await Promise.all([ship(['--batch-size', '10']), ship(['--batch-size', '10'])]);
    const codes = [first.code, second.code].sort();
    expect(codes).toEqual([0, 3]);
    expect([first.stderr, second.stderr].join('')).toMatch(/is locked by process \d+/);
    expect(received()).toEqual(range(0, 50));
  });

  it('takes over a stale lock left by a dead process', async () => {
    spoolFile(1700000000001, 0, 2);
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(dir, 'MappIntelligenceRequests.lock'), `${dead}\n${hostname()}\n`);
    expect((await ship()).code).toBe(0);
    expect(received()).toEqual([0, 1]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('skips and reports malformed lines instead of sending them, ships the rest, removes the file and exits 1', async () => {
    const path = join(dir, 'MappIntelligenceRequests-1700000000001.log');
    const lines = [line(0), 'garbage line here', '\u0000\u0001binary', line(1), `wt?p=600,${'x'.repeat(40_000)}`, 'wt?p=600,raw space', line(2)];
    writeFileSync(path, `${lines.join('\n')}\n`);
    spoolFile(1700000000002, 3, 5);
    const result = await ship();
    expect(result.code).toBe(1);
    expect(received()).toEqual([0, 1, 2, 3, 4]);
    expect(collector.hits().every((hit) => hit.problems.length === 0)).toBe(true);
    expect(result.stdout).toMatch(/^5 lines shipped from 2 of 2 files in \d+\.\d s, 4 malformed lines skipped and removed\n$/);
    expect(result.stderr).toContain(`${path} line 2: not a hit line (must start with "wt?"): "garbage line here"; skipped`);
    expect(result.stderr).toContain(`${path} line 3: not a hit line`);
    expect(result.stderr).toContain(`${path} line 5: longer than 34819 bytes; skipped`);
    expect(result.stderr).toContain(`${path} line 6: raw space, control or non-ASCII characters`);
    expect(readdirSync(dir)).toEqual([]);
    // Nothing is left: the next run has nothing to do.
    expect(await ship()).toMatchObject({ code: 0, stdout: `nothing to ship in ${dir}\n` });
  });

  it('does not let a file of nothing but garbage block the folder', async () => {
    writeFileSync(join(dir, 'MappIntelligenceRequests-1700000000001.log'), Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x41, 0x0a]));
    spoolFile(1700000000002, 0, 2);
    const result = await ship(['--quiet']);
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'mapp-s2s ship: 2 malformed lines skipped and removed\n' });
    expect(received()).toEqual([0, 1]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('draws a progress bar on a terminal', async () => {
    spoolFile(1700000000001, 0, 20);
    const result = await ship(['--batch-size', '5'], { tty: true });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/\r\[#+\] 100%/);
  });

  it('exits 2 with a clear message on usage errors', async () => {
    expect(await main(['ship'], { stdout: output(), stderr: output(), env: {} })).toBe(2);
    const missingId = output();
    expect(await main(['ship', '--dir', dir], { stdout: output(), stderr: missingId, env: { MAPP_TRACK_DOMAIN: collector.url } })).toBe(2);
    expect(missingId.text()).toMatch(/^mapp-s2s ship: missing --track-id\. Pass your 15-digit Mapp track id as --track-id or set MAPP_TRACK_ID\./);
    expect(missingId.text()).not.toMatch(/trackId/);
    const badId = output();
    expect(await main(['ship', '--dir', dir, '--track-id', '12'], { stdout: output(), stderr: badId, env: { MAPP_TRACK_DOMAIN: collector.url } })).toBe(2);
    expect(badId.text()).toMatch(/^mapp-s2s ship: invalid --track-id: received "12"\./);
    const badDomain = output();
    expect(await main(['ship', '--dir', dir, '--track-id', TRACK_ID, '--track-domain', 'http://x/y'], { stdout: output(), stderr: badDomain, env: {} })).toBe(2);
    expect(badDomain.text()).toMatch(/^mapp-s2s ship: invalid --track-domain: received "http:\/\/x\/y"\./);
    const badFlag = output();
    expect(await main(['ship', '--nope'], { stdout: output(), stderr: badFlag, env: {} })).toBe(2);
    expect(badFlag.text()).toMatch(/Unknown option '--nope'/);
    expect((await ship(['--batch-size', 'many'])).stderr).toMatch(/--batch-size must be a positive integer/);
    const missingDir = await main(['ship', '--dir', join(dir, 'nope')], { stdout: output(), stderr: output(), env: { MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url } });
    expect(missingDir).toBe(2);
  });

  it.each([
    [['--batch-size', '20000'], '--batch-size must be at most 10,000 (lines), got "20000"'],
    [['--batch-size', '0'], '--batch-size must be a positive integer'],
    [['--timeout', '3000000000'], '--timeout must be at most 600,000 (ms)'],
    [['--max-retry-after', '0'], '--max-retry-after must be a positive integer'],
    [['--max-retry-after', '86401'], '--max-retry-after must be at most 86,400 (s)'],
    [['--max-attempts', '1.5'], '--max-attempts must be a positive integer'],
    [['--max-file-age', '1e6'], '--max-file-age must be a positive integer'],
    [['--prefix', 'a/b'], '--prefix "a/b" is not a plain file-name prefix'],
    [['--prefix', '../x'], '--prefix "../x" is not a plain file-name prefix'],
    [['--prefix', 'a\\b'], 'is not a plain file-name prefix'],
    [['--prefix', 'a..b'], 'is not a plain file-name prefix'],
    [['--prefix', ''], '--prefix "" is not a plain file-name prefix'],
  ])('refuses %p with exit 2 before touching the folder', async (flags, message) => {
    spoolFile(1700000000001, 0, 2);
    const result = await ship(flags);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(collector.requestCount()).toBe(0);
    expect(readdirSync(dir)).toEqual(['MappIntelligenceRequests-1700000000001.log']);
  });

  it('accepts a plain prefix with dots and dashes', async () => {
    writeFileSync(join(dir, 'my.app-1-1700000000001.log'), `${line(0)}\n`);
    expect((await ship(['--prefix', 'my.app-1'])).code).toBe(0);
    expect(received()).toEqual([0]);
  });

  it('says a --dir that is a file is not a directory, and a symlinked one is a link (exit 2)', async () => {
    const file = join(dir, 'passwd');
    writeFileSync(file, 'root:x:0:0\n');
    const notDir = await main(['ship', '--dir', file], { stdout: output(), stderr: output(), env: { MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url } });
    expect(notDir).toBe(2);
    const stderr = output();
    await main(['ship', '--dir', file], { stdout: output(), stderr, env: { MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url } });
    expect(stderr.text()).toBe(`mapp-s2s ship: spool folder ${file} is not a directory\n`);
    const link = join(dir, 'link');
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), link);
    const linked = output();
    expect(await main(['ship', '--dir', link], { stdout: output(), stderr: linked, env: { MAPP_TRACK_ID: TRACK_ID, MAPP_TRACK_DOMAIN: collector.url } })).toBe(2);
    expect(linked.text()).toContain(`spool folder ${link} is a symbolic link`);
    expect(readFileSync(file, 'utf8')).toBe('root:x:0:0\n');
  });
});

describe('mapp-s2s ship in a hostile spool folder', () => {
  it('ships only regular files: symlinks, FIFOs and directories named *.log are skipped with a warning', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'mapp-outside-'));
    try {
      const secret = join(outside, 'secret.txt');
      writeFileSync(secret, `${line(900)}\n`);
      symlinkSync(secret, join(dir, 'MappIntelligenceRequests-1700000000001.log'));
      execFileSync('mkfifo', [join(dir, 'MappIntelligenceRequests-1700000000002.log')]);
      mkdirSync(join(dir, 'MappIntelligenceRequests-1700000000003.log'));
      spoolFile(1700000000004, 0, 5);
      const result = await ship();
      expect(received()).toEqual(range(0, 5));
      expect(result.stderr).toContain('MappIntelligenceRequests-1700000000001.log is a symbolic link, not a regular file; skipped');
      expect(result.stderr).toContain('MappIntelligenceRequests-1700000000002.log is a FIFO, not a regular file; skipped');
      expect(result.stderr).toContain('MappIntelligenceRequests-1700000000003.log is a directory, not a regular file; skipped');
      expect(result.code).toBe(0);
      // Left alone, not deleted or renamed; the secret is untouched.
      expect(readdirSync(dir).sort()).toEqual(['MappIntelligenceRequests-1700000000001.log', 'MappIntelligenceRequests-1700000000002.log', 'MappIntelligenceRequests-1700000000003.log']);
      expect(readFileSync(secret, 'utf8')).toBe(`${line(900)}\n`);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('never follows an .ack symlinked out of the folder: the link itself is removed, the file shipped from its start', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'mapp-outside-'));
    try {
      const target = join(outside, 'important.conf');
      writeFileSync(target, 'keep me\n');
      spoolFile(1700000000001, 0, 3);
      const ack = join(dir, 'MappIntelligenceRequests-1700000000001.ack');
      symlinkSync(target, ack);
      spoolFile(1700000000002, 3, 6);
      const result = await ship();
      expect(readFileSync(target, 'utf8')).toBe('keep me\n');
      expect(received()).toEqual(range(0, 6));
      expect(result.stderr).toContain(`warning: ${ack} is a symbolic link, not a regular file: removed (its target, if any, is untouched)`);
      expect(result.stderr).toContain('is shipped from its first line, so lines acknowledged before may be sent again');
      expect(result.code).toBe(0);
      expect(readdirSync(dir)).toEqual([]);
      expect(readdirSync(outside)).toEqual(['important.conf']);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('never stops shipping for an .ack that is a FIFO; an .ack directory keeps only its own file back', async () => {
    spoolFile(1700000000001, 0, 3);
    execFileSync('mkfifo', [join(dir, 'MappIntelligenceRequests-1700000000001.ack')]);
    spoolFile(1700000000002, 3, 5);
    mkdirSync(join(dir, 'MappIntelligenceRequests-1700000000002.ack'));
    const result = await ship();
    expect(received()).toEqual(range(0, 3));
    expect(result.stderr).toContain('MappIntelligenceRequests-1700000000001.ack is a FIFO, not a regular file: removed');
    expect(result.stderr).toMatch(/MappIntelligenceRequests-1700000000002\.ack is a directory, not a regular file; skipped; kept, not shipped/);
    expect(result.code).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['MappIntelligenceRequests-1700000000002.ack', 'MappIntelligenceRequests-1700000000002.log']);
  });

  it('ignores .ack ranges beyond the file: a 14-byte hostile .ack neither stops shipping nor skips lines', async () => {
    spoolFile(1700000000001, 0, 50);
    writeFileSync(join(dir, 'MappIntelligenceRequests-1700000000001.ack'), '0-99999999999\n');
    const result = await ship();
    expect(received()).toEqual(range(0, 50));
    expect(result.stderr).toContain('1 entry outside the file\'s lines ignored (corrupt or tampered)');
    expect(result.code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('sends a line over 7 KB (a long pixel hit) on its own as a GET, in its place', async () => {
    const long = `wt?p=600,long,,,,,1700000000000,0,,&eid=8170000000000000001&cp1=1&cp2=${'y'.repeat(10_000)}`;
    writeFileSync(join(dir, 'MappIntelligenceRequests-1700000000001.log'), `${line(0)}\n${long}\n${line(2)}\n`);
    expect((await ship()).code).toBe(0);
    expect(collector.hits().map((hit) => [Number(hit.params.cp1), hit.via])).toEqual([
      [0, 'batch'],
      [1, 'wt'],
      [2, 'batch'],
    ]);
    expect(collector.hits()[1]?.params.cp2).toHaveLength(10_000);
  });

  it('honours valid .ack ranges and ignores reversed or overlong ones', async () => {
    spoolFile(1700000000001, 0, 10);
    writeFileSync(join(dir, 'MappIntelligenceRequests-1700000000001.ack'), '0-3,5\n9-2,7-10\n');
    await ship();
    expect(received()).toEqual([4, 6, 7, 8, 9]);
  });
});

describe('mapp-s2s', () => {
  it('prints help for itself and for ship, and its version', async () => {
    const help = output();
    expect(await main(['--help'], { stdout: help })).toBe(0);
    expect(help.text()).toMatch(/ship .*\n.*collector/);
    const shipHelp = output();
    expect(await main(['ship', '--help'], { stdout: shipHelp })).toBe(0);
    expect(shipHelp.text()).toMatch(/--track-domain[\s\S]*Exit codes:[\s\S]*3 {2}the folder is locked/);
    const version = output();
    expect(await main(['--version'], { stdout: version })).toBe(0);
    expect(version.text()).toBe(`${CLI_VERSION}\n`);
    expect(JSON.parse(readFileSync(resolve(__dirname, '../package.json'), 'utf8')).version).toBe(CLI_VERSION);
  });

  it('rejects an unknown command with exit 2', async () => {
    const stderr = output();
    expect(await main(['shop'], { stdout: output(), stderr })).toBe(2);
    expect(stderr.text()).toMatch(/unknown command "shop"/);
  });
});
