import { parseArgs } from 'node:util';
import { untilStopped } from '../io.js';
// Types only: the collector (and its native SQLite) is an optional peer, loaded at run time.
import type { CollectorOptions, FaultOptions } from '@mapp-s2s/collector';

/** The optional package that `mapp-s2s collector` runs. */
export const COLLECTOR_PACKAGE = '@mapp-s2s/collector';

/** What the command uses of {@link COLLECTOR_PACKAGE}. */
export type CollectorModule = Pick<typeof import('@mapp-s2s/collector'), 'startCollector' | 'validateFaults'>;

/**
 * Exit code of `mapp-s2s collector` when {@link COLLECTOR_PACKAGE} is not installed or cannot
 * load (its native SQLite binding failed to build, for example). Same as a usage error: the
 * command cannot run as installed; the message names the package to install.
 */
export const COLLECTOR_MISSING_EXIT = 2;

/** Loads the collector package; a separate function so a CLI without it still starts. */
export function loadCollectorPackage(): Promise<CollectorModule> {
  return import('@mapp-s2s/collector');
}

/** True when `error` says that the collector package itself is not installed. */
function isMissingPackage(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes(COLLECTOR_PACKAGE);
}

/** The message for a collector that cannot be loaded, naming what to install. */
export function collectorUnavailableMessage(error: unknown): string {
  const install = `Install it next to the CLI: npm install --save-dev ${COLLECTOR_PACKAGE} (or pnpm add -D ${COLLECTOR_PACKAGE}).`;
  if (isMissingPackage(error)) {
    return `mapp-s2s collector: the collector is an optional part of the CLI and ${COLLECTOR_PACKAGE} is not installed.\n${install}\n(mapp-s2s ship does not need it.)\n`;
  }
  const reason = error instanceof Error ? error.message : String(error);
  return `mapp-s2s collector: ${COLLECTOR_PACKAGE} is installed but could not be loaded: ${reason}\n(It needs the native better-sqlite3 module built for this Node version.) ${install}\n`;
}

/** Injectable I/O for {@link runCollectorCommand}, so tests can drive it in-process. */
export interface CollectorCommandIo {
  /** Where the banner goes. @default process.stdout */
  stdout?: { write(text: string): unknown };
  /** Where errors and usage go. @default process.stderr */
  stderr?: { write(text: string): unknown };
  /** Stops the collector when aborted (besides SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Called once the collector listens, with its URL. */
  onListening?: (url: string) => void;
  /** Loads the collector package. @default loadCollectorPackage */
  loadCollector?: () => Promise<CollectorModule>;
}

/** Usage text of `mapp-s2s collector`. */
export const COLLECTOR_USAGE = `Usage: mapp-s2s collector [options]

Runs a local Mapp-compatible tracking collector with a live inspector page.
Needs the optional package @mapp-s2s/collector installed next to the CLI
(npm install --save-dev @mapp-s2s/collector); without it the command exits 2.

Options:
  --port <n>          Port to listen on (0 = any free port)            [default: 9700]
  --host <addr>       Address to listen on                            [default: 127.0.0.1]
  --db <file>         SQLite file for the hits                        [default: in memory]
  --track-ids <ids>   Comma-separated accepted track ids; others get 404 [default: any]
  --no-inspector      Do not serve the inspector page at /
  --allowed-host <h>  Another Host name (name or name:port) the inspector, /api and
                      /_control answer to, e.g. behind a proxy or a remapped port; repeat
                      or comma-separate (localhost, 127.0.0.1 and [::1] always work)
  --max-stream-buffer <bytes>
                      Unread bytes a live-stream client may hold before it is cut
                      off                                             [default: 16777216]
  --verbose           Log every request to stderr
Faults (also settable at run time: PUT /_control/faults with
Content-Type: application/json; cross-site requests are refused):
  --status <code>     Answer every tracking request with this status
  --error-rate <0..1> Fraction of tracking requests answered with --status (default 500)
  --latency <ms>      Delay every tracking answer (at most 600000)
  --retry-after <s>   Retry-After header on error answers (whole seconds)
  --drop-rate <0..1>  Fraction of tracking connections destroyed without answer
  --down-for <ms>     Refuse all tracking connections for this long after start
  --seed <n>          Seed for --error-rate/--drop-rate, to replay a pattern
  -h, --help          Show this help
`;

const NUMBER_FLAGS: Record<string, keyof FaultOptions> = {
  status: 'status',
  'error-rate': 'errorRate',
  latency: 'latencyMs',
  'retry-after': 'retryAfter',
  'drop-rate': 'dropRate',
  'down-for': 'downForMs',
  seed: 'seed',
};

/**
 * `mapp-s2s collector`: starts the collector and runs until SIGINT/SIGTERM (or `io.signal`),
 * then closes it. Resolves to the exit code: 0 after a clean stop, 1 when it cannot start,
 * 2 for bad arguments or when {@link COLLECTOR_PACKAGE} is not installed (or cannot load).
 */
export async function runCollectorCommand(argv: string[], io: CollectorCommandIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  let options: CollectorOptions;
  try {
    const parsed = parseCollectorArgs(argv);
    if (parsed === 'help') {
      stdout.write(COLLECTOR_USAGE);
      return 0;
    }
    options = parsed;
  } catch (error) {
    stderr.write(`mapp-s2s collector: ${error instanceof Error ? error.message : String(error)}\n\n${COLLECTOR_USAGE}`);
    return 2;
  }

  let collectorPackage: CollectorModule;
  try {
    collectorPackage = await (io.loadCollector ?? loadCollectorPackage)();
  } catch (error) {
    stderr.write(collectorUnavailableMessage(error));
    return COLLECTOR_MISSING_EXIT;
  }
  const { startCollector, validateFaults } = collectorPackage;
  try {
    if (options.faults !== undefined) options.faults = validateFaults(options.faults);
  } catch (error) {
    stderr.write(`mapp-s2s collector: ${error instanceof Error ? error.message : String(error)}\n\n${COLLECTOR_USAGE}`);
    return 2;
  }

  let collector;
  try {
    collector = await startCollector(options);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = code === 'EADDRINUSE' ? `port ${options.port} is already in use (try --port 0)` : error instanceof Error ? error.message : String(error);
    stderr.write(`mapp-s2s collector: ${message}\n`);
    return 1;
  }

  const db = options.db ?? ':memory:';
  stdout.write(
    [
      `mapp-s2s collector listening on ${collector.url}`,
      `  inspector  ${collector.url}/`,
      `  tracking   ${collector.url}/<trackId>/wt  and  ${collector.url}/<trackId>/batch`,
      `  hits       ${db === ':memory:' ? 'in memory (use --db <file> to keep them)' : db}`,
      `  control    ${collector.url}/_control/faults  (GET/PUT JSON)`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  io.onListening?.(collector.url);

  await untilStopped(io.signal);
  await collector.close();
  stdout.write('mapp-s2s collector stopped.\n');
  return 0;
}

/**
 * Parses the command's flags into collector options (throws with a message on bad input).
 * Fault values are range-checked by the collector's `validateFaults` once it is loaded.
 */
export function parseCollectorArgs(argv: string[]): CollectorOptions | 'help' {
  const { values: parsed } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
      'track-ids': { type: 'string', multiple: true },
      'no-inspector': { type: 'boolean' },
      'allowed-host': { type: 'string', multiple: true },
      'max-stream-buffer': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(Object.keys(NUMBER_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
    },
  });
  // The fault flags are added from a table, so TypeScript cannot name them: index loosely.
  const values = parsed as Record<string, string | string[] | boolean | undefined>;
  if (values['help']) return 'help';
  const options: CollectorOptions = { port: 9700 };
  if (values['port'] !== undefined) options.port = integer('--port', values['port'] as string, 0, 65535);
  if (values['host'] !== undefined) options.host = values['host'] as string;
  if (values['db'] !== undefined) options.db = values['db'] as string;
  if (values['no-inspector']) options.inspector = false;
  if (values['verbose']) options.verbose = true;
  const hosts = ((values['allowed-host'] as string[] | undefined) ?? []).flatMap((list) => list.split(',')).map((host) => host.trim()).filter(Boolean);
  for (const host of hosts) if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.test(host)) throw new Error(`--allowed-host: "${host}" is not a host name or host:port`);
  if (hosts.length > 0) options.allowedHosts = hosts;
  if (values['max-stream-buffer'] !== undefined) options.maxStreamBufferBytes = integer('--max-stream-buffer', values['max-stream-buffer'] as string, 1024, Number.MAX_SAFE_INTEGER);
  const ids = ((values['track-ids'] as string[] | undefined) ?? []).flatMap((list) => list.split(',')).map((id) => id.trim()).filter(Boolean);
  for (const id of ids) if (!/^\d{15}$/.test(id)) throw new Error(`--track-ids: "${id}" is not a 15-digit track id`);
  if (ids.length > 0) options.trackIds = ids;
  const faults: FaultOptions = {};
  for (const [flag, key] of Object.entries(NUMBER_FLAGS)) {
    const raw = values[flag] as string | undefined;
    if (raw === undefined) continue;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`--${flag}: "${raw}" is not a number`);
    faults[key] = n;
  }
  if (Object.keys(faults).length > 0) options.faults = faults;
  return options;
}

function integer(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag}: "${raw}" is not a whole number in ${min}..${max}`);
  return n;
}
