import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { COLLECTOR_MISSING_EXIT, COLLECTOR_USAGE, parseCollectorArgs, runCollectorCommand } from '../src/commands/collector.js';
import { main, USAGE } from '../src/index.js';

const TRACK = '123451234512345';

/** Collects what the command writes. */
function sink(): { write(text: string): boolean; text: () => string } {
  let out = '';
  return { write: (text: string) => ((out += text), true), text: () => out };
}

/** Runs the command on a free port and resolves once it listens. */
async function start(args: string[]): Promise<{ url: string; stop: () => void; exit: Promise<number>; stdout: ReturnType<typeof sink> }> {
  const controller = new AbortController();
  const stdout = sink();
  let exit!: Promise<number>;
  const url = await new Promise<string>((resolve, reject) => {
    exit = runCollectorCommand(['--port', '0', ...args], { stdout, stderr: stdout, signal: controller.signal, onListening: resolve });
    exit.then((code) => reject(new Error(`exited early with ${code}: ${stdout.text()}`)), reject);
  });
  return { url, stop: () => controller.abort(), exit, stdout };
}

describe('mapp-s2s collector', () => {
  it.each([
    [[], { port: 9700 }],
    [['--port', '0', '--host', '0.0.0.0', '--db', 'hits.sqlite'], { port: 0, host: '0.0.0.0', db: 'hits.sqlite' }],
    [['--track-ids', `${TRACK},111112222233333`, '--track-ids', '444445555566666'], { trackIds: [TRACK, '111112222233333', '444445555566666'] }],
    [['--no-inspector', '--verbose'], { inspector: false, verbose: true }],
    [['--allowed-host', 'stats.shop.example,[::1]:8080', '--allowed-host', 'box:9701'], { allowedHosts: ['stats.shop.example', '[::1]:8080', 'box:9701'] }],
    [['--max-stream-buffer', '65536'], { maxStreamBufferBytes: 65536 }],
    [
      ['--status', '503', '--error-rate', '0.25', '--latency', '40', '--retry-after', '3', '--drop-rate', '0.1', '--down-for', '2000', '--seed', '7'],
      { faults: { status: 503, errorRate: 0.25, latencyMs: 40, retryAfter: 3, dropRate: 0.1, downForMs: 2000, seed: 7 } },
    ],
  ])('maps %j to collector options', (argv, expected) => {
    expect(parseCollectorArgs(argv)).toMatchObject(expected);
  });

  it.each([
    [['--port', 'x'], '--port: "x" is not a whole number in 0..65535'],
    [['--port', '70000'], '--port: "70000" is not a whole number'],
    [['--track-ids', '123'], '--track-ids: "123" is not a 15-digit track id'],
    [['--error-rate', 'lots'], '--error-rate: "lots" is not a number'],
    [['--error-rate', '3'], 'fault errorRate must be between 0 and 1, got 3'],
    [['--colour'], "Unknown option '--colour'"],
    [['--allowed-host', 'evil.example/path'], '--allowed-host: "evil.example/path" is not a host name or host:port'],
    [['--max-stream-buffer', '12'], '--max-stream-buffer: "12" is not a whole number in 1024..'],
  ])('rejects %j with exit code 2 and the usage', async (argv, message) => {
    const stderr = sink();
    await expect(runCollectorCommand(argv, { stderr, stdout: sink() })).resolves.toBe(2);
    expect(stderr.text()).toContain(message);
    expect(stderr.text()).toContain('Usage: mapp-s2s collector');
  });

  it('prints the help with exit code 0', async () => {
    const stdout = sink();
    await expect(runCollectorCommand(['--help'], { stdout })).resolves.toBe(0);
    expect(stdout.text()).toBe(COLLECTOR_USAGE);
  });

  it('serves tracking, the inspector and the injected faults until stopped', async () => {
    const run = await start(['--status', '503', '--retry-after', '9']);
    expect(run.stdout.text()).toContain(`mapp-s2s collector listening on ${run.url}`);
    expect(run.stdout.text()).toContain(`inspector  ${run.url}/`);
    const faulted = await fetch(`${run.url}/${TRACK}/wt?p=600,home,,,,,,0,,`);
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get('retry-after')).toBe('9');
    await fetch(`${run.url}/_control/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect((await fetch(`${run.url}/${TRACK}/wt?p=600,home,,,,,,0,,`)).status).toBe(200);
    const { hits } = (await (await fetch(`${run.url}/api/hits`)).json()) as { hits: Array<{ p: string[] }> };
    expect(hits.map((h) => h.p[1])).toEqual(['home']);
    expect((await fetch(run.url)).headers.get('content-type')).toContain('text/html');
    run.stop();
    await expect(run.exit).resolves.toBe(0);
    await expect(fetch(`${run.url}/api/hits`)).rejects.toThrow();
  });

  it('answers the inspector API under an --allowed-host name and refuses other names', async () => {
    const run = await start(['--allowed-host', 'stats.shop.example']);
    const { request } = await import('node:http');
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        request(`${run.url}/api/hits`, { headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    expect(await get('stats.shop.example')).toBe(200);
    expect(await get('attacker.example')).not.toBe(200);
    run.stop();
    await expect(run.exit).resolves.toBe(0);
  });

  it('stops cleanly on SIGINT and SIGTERM', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const before = process.listenerCount(signal);
      const run = await start([]);
      expect(process.listenerCount(signal)).toBe(before + 1);
      process.emit(signal, signal);
      await expect(run.exit).resolves.toBe(0);
      expect(run.stdout.text()).toContain('mapp-s2s collector stopped.');
      expect(process.listenerCount(signal)).toBe(before);
    }
  });

  it('exits with 1 and a hint when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    const stderr = sink();
    try {
      await expect(runCollectorCommand(['--port', String(port)], { stderr, stdout: sink() })).resolves.toBe(1);
      expect(stderr.text()).toContain(`port ${port} is already in use (try --port 0)`);
    } finally {
      blocker.close();
    }
  });

  describe('without the optional @mapp-s2s/collector package', () => {
    /** What Node throws for `import('@mapp-s2s/collector')` when the package is not installed. */
    function notInstalled(): Promise<never> {
      const error = Object.assign(new Error("Cannot find package '@mapp-s2s/collector' imported from /app/node_modules/@mapp-s2s/cli/dist/bin.js"), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
      return Promise.reject(error);
    }

    it('exits with 2 and names the package to install', async () => {
      const stderr = sink();
      const stdout = sink();
      await expect(runCollectorCommand(['--port', '0'], { stderr, stdout, loadCollector: notInstalled })).resolves.toBe(COLLECTOR_MISSING_EXIT);
      expect(COLLECTOR_MISSING_EXIT).toBe(2);
      expect(stderr.text()).toContain('@mapp-s2s/collector is not installed');
      expect(stderr.text()).toContain('npm install --save-dev @mapp-s2s/collector');
      expect(stdout.text()).toBe('');
    });

    it('says why when the package is there but cannot load (a native build that failed)', async () => {
      const stderr = sink();
      const broken = (): Promise<never> => Promise.reject(new Error('Could not locate the bindings file (better_sqlite3.node)'));
      await expect(runCollectorCommand([], { stderr, stdout: sink(), loadCollector: broken })).resolves.toBe(2);
      expect(stderr.text()).toContain('@mapp-s2s/collector is installed but could not be loaded: Could not locate the bindings file');
    });

    it('still shows its help and rejects bad flags before looking for the package', async () => {
      const stdout = sink();
      await expect(runCollectorCommand(['--help'], { stdout, loadCollector: notInstalled })).resolves.toBe(0);
      expect(stdout.text()).toContain('Needs the optional package @mapp-s2s/collector');
      const stderr = sink();
      await expect(runCollectorCommand(['--port', 'x'], { stderr, stdout: sink(), loadCollector: notInstalled })).resolves.toBe(2);
      expect(stderr.text()).toContain('--port: "x" is not a whole number');
      expect(stderr.text()).not.toContain('not installed');
    });

    it('is documented in mapp-s2s --help', async () => {
      const stdout = sink();
      await expect(main(['--help'], { stdout })).resolves.toBe(0);
      expect(stdout.text()).toBe(USAGE);
      expect(USAGE).toContain('needs the optional package @mapp-s2s/collector');
      expect(USAGE).toContain('else exits 2');
    });
  });
});
