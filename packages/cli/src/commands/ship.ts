import { lstatSync, type Stats } from 'node:fs';
import { createFileShipSource, resolveOptions, shipSpool, type ShipReport } from '@mapp-s2s/core/node';
import { parseCommandArgs, type CommandIo } from '../io.js';
import { boundedInt, DELIVERY_FLAG_OPTIONS, FLAG_BOUNDS, UsageError } from './flags.js';
import { createProgressBar } from './progress.js';
import { runRedisShipCommand, type RedisShipCommandIo } from './ship-redis.js';

/** `--help` text of `mapp-s2s ship`. */
export const SHIP_USAGE = `Usage: mapp-s2s ship --dir <spool dir> --track-id <id> --track-domain <domain> [options]

Sends every finished spool file (<prefix>-<ms>.log) to Mapp, oldest first, in batches
(POST /<trackId>/batch). A file is deleted only after every line in it was accepted.
Progress is kept in <prefix>-<ms>.ack, so an interrupted run resumes where it stopped.
Stale .tmp files (not written to for --max-file-age) are renamed to .log first.
Run it from cron every few minutes; a lock file keeps two runs apart. Only regular
files are read: symlinks, directories and FIFOs with a spool file's name are skipped
with a warning, and .ack entries beyond a file's line count are ignored. An .ack that
is a symlink (or FIFO) is removed itself, never followed, with a warning: its file is
shipped from the first line, so lines acknowledged before may be sent again. A line over
7 KB (a Smart Pixel hit passed through) is sent on its own, as a GET.

Options:
  --dir <path>            Spool folder (env MAPP_SPOOL_DIR)
  --track-id <id>         15-digit track id, or several comma-separated (env MAPP_TRACK_ID)
  --track-domain <host>   Track domain (HTTPS implied) or an origin such as
                          http://127.0.0.1:9700 (env MAPP_TRACK_DOMAIN)
  --prefix <name>         File prefix (default MappIntelligenceRequests): a plain file-name
                          prefix, without /, \\ or ..
  --max-file-age <ms>     A .tmp idle this long is finished and shipped (default 1800000)
  --batch-size <lines>    Lines per request (default 1000, max 10000)
  --max-attempts <n>      Attempts per batch: network errors, timeouts, 5xx, 408 and 429
                          are retried with backoff and Retry-After (default 8)
  --timeout <ms>          Per-request timeout (default 10000, max 600000)
  --max-retry-after <s>   Longest Retry-After to wait for (default 60, max 86400): when Mapp
                          asks for longer, the run stops (exit 1), keeps the files and its
                          progress, and the next run continues
  --quiet                 Print only errors
  -h, --help              Show this help

Fleet mode: mapp-s2s ship --from redis://host:6379 ... runs a long-lived shipper of a
Redis Streams outbox instead (needs @mapp-s2s/redis; mapp-s2s ship --from redis:// --help).

Exit codes:
  0  everything was shipped (also when there was nothing to ship)
  1  something is left (Mapp unreachable, retries exhausted, unknown track id, or Mapp
     asked to wait longer than --max-retry-after), or lines were rejected by Mapp or
     skipped as malformed (not "wt?..." hit lines; they are listed on stderr and removed
     with their file), or a file could not be read safely (kept, named on stderr); run
     again later
  2  usage error, or the spool folder is missing or not a directory
  3  the folder is locked by another ship run or a running tracker
`;

/** The core names its options (`trackId`); a CLI user knows the flags. */
const FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['trackId', '--track-id'],
  ['trackDomain', '--track-domain'],
  ['maxRetryAfter', '--max-retry-after'],
];

/**
 * `--prefix` as a plain file-name prefix: spool files are `<dir>/<prefix>-<ms>.log`, so a `/`,
 * `\`, `..` or NUL would reach outside the folder or fail on every file.
 */
function checkPrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  if (prefix === '' || /[/\\\u0000-\u001f]/.test(prefix) || prefix.includes('..')) {
    throw new UsageError(`--prefix ${JSON.stringify(prefix)} is not a plain file-name prefix: use letters, digits, "-", "_" or "." (no "/", "\\", ".." or control characters), e.g. MappIntelligenceRequests`);
  }
  return prefix;
}

/**
 * A `--dir` that exists but is no folder, in words; undefined when it is a folder or missing
 * (the core reports a missing one). A symlink is refused as the core does: give the real path.
 */
function notAFolder(dir: string): string | undefined {
  let stats: Stats;
  try {
    stats = lstatSync(dir);
  } catch {
    return undefined;
  }
  if (stats.isDirectory()) return undefined;
  if (stats.isSymbolicLink()) return `spool folder ${dir} is a symbolic link: give the folder's real path`;
  return `spool folder ${dir} is not a directory`;
}

/** A core option error in the CLI's words: its flags instead of option keys. */
export function inFlagTerms(message: string): string {
  let text = message.replace(/^mapp-s2s: /, '').replace(/^(invalid|missing|unknown) option /, '$1 ');
  for (const [option, flag] of FLAGS) text = text.split(`\`${option}\``).join(flag);
  return text;
}

function describe(report: ShipReport, seconds: string): string {
  const parts = [`${report.sent} lines shipped from ${report.unitsDone} of ${report.units} files in ${seconds} s`];
  if (report.rejected > 0) parts.push(`${report.rejected} rejected by Mapp and removed`);
  if (report.skippedUnits > 0) parts.push(`${report.skippedUnits} files could not be read safely and were kept`);
  if (report.invalid > 0) parts.push(`${report.invalid} malformed lines skipped and removed`);
  if (report.retries > 0) parts.push(`${report.retries} retries`);
  return parts.join(', ');
}

/**
 * `mapp-s2s ship`: parses flags (falling back to MAPP_* env) and runs `shipSpool` from
 * `@mapp-s2s/core/node` over the spool folder. Returns the exit code; never throws.
 */
export async function runShipCommand(argv: string[], io: RedisShipCommandIo = {}): Promise<number> {
  // --from: the Redis Streams outbox of fleet mode (its own flags; --dir is the spool mode).
  if (argv.some((arg) => arg === '--from' || arg.startsWith('--from='))) return runRedisShipCommand(argv, io);
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const parsed = parseCommandArgs('ship', SHIP_USAGE, {
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      dir: { type: 'string' },
      'track-id': { type: 'string' },
      'track-domain': { type: 'string' },
      prefix: { type: 'string' },
      'max-file-age': { type: 'string' },
      'batch-size': { type: 'string' },
      ...DELIVERY_FLAG_OPTIONS,
    },
  }, { stdout, stderr });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;

  let settings;
  try {
    const dir = values.dir ?? env.MAPP_SPOOL_DIR;
    if (!dir) throw new UsageError('missing --dir (or MAPP_SPOOL_DIR): the spool folder to ship');
    // The core validates id and domain exactly as the tracker does.
    const config = resolveOptions({ trackId: values['track-id'], trackDomain: values['track-domain'] }, env);
    settings = {
      dir,
      origin: config.origin,
      trackId: config.trackId,
      prefix: checkPrefix(values.prefix),
      maxFileAge: boundedInt('max-file-age', values['max-file-age'], 30 * 60 * 1000, FLAG_BOUNDS.maxFileAge),
      batchSize: boundedInt('batch-size', values['batch-size'], 1000, FLAG_BOUNDS.batchSize),
      maxAttempts: boundedInt('max-attempts', values['max-attempts'], 8, FLAG_BOUNDS.maxAttempts),
      timeout: boundedInt('timeout', values.timeout, 10_000, FLAG_BOUNDS.timeout),
      maxRetryAfter: boundedInt('max-retry-after', values['max-retry-after'], 60, FLAG_BOUNDS.maxRetryAfter) * 1000,
    };
    const folderProblem = notAFolder(dir);
    if (folderProblem !== undefined) {
      stderr.write(`mapp-s2s ship: ${folderProblem}\n`);
      return 2;
    }
  } catch (error) {
    // Core errors carry their own "mapp-s2s: " prefix and option names: say it once, with flags.
    stderr.write(`mapp-s2s ship: ${inFlagTerms((error as Error).message)}\nRun "mapp-s2s ship --help" for the options.\n`);
    return 2;
  }

  const quiet = values.quiet === true;
  const bar = !quiet && stderr.isTTY ? createProgressBar(stderr) : undefined;
  const started = Date.now();
  let report: ShipReport;
  try {
    report = await shipSpool({
      source: createFileShipSource({
        dir: settings.dir,
        maxFileAge: settings.maxFileAge,
        ...(settings.prefix === undefined ? {} : { prefix: settings.prefix }),
        // Skipped for safety (symlinks, FIFOs, directories, a tampered .ack): always said, even with --quiet.
        onWarning: (message) => stderr.write(`mapp-s2s ship: warning: ${message}\n`),
      }),
      origin: settings.origin,
      trackId: settings.trackId,
      batchSize: settings.batchSize,
      maxAttempts: settings.maxAttempts,
      timeout: settings.timeout,
      maxRetryAfter: settings.maxRetryAfter,
      ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
      onProgress(progress) {
        bar?.update(progress.bytesTotal === 0 ? 1 : progress.bytesDone / progress.bytesTotal, `${progress.sent} lines, file ${Math.min(progress.unitsDone + 1, progress.unitsTotal)}/${progress.unitsTotal}`);
      },
      onLog(message) {
        if (!quiet && !bar) stderr.write(`mapp-s2s ship: ${message}\n`);
      },
    });
  } catch (error) {
    bar?.done();
    const code = (error as { code?: string }).code;
    stderr.write(`mapp-s2s ship: ${(error as Error).message}\n`);
    if (code === 'SPOOL_LOCKED') return 3;
    if (code === 'SPOOL_MISSING') return 2;
    return 1;
  }
  bar?.done();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (report.units === 0) {
    if (!quiet) stdout.write(`nothing to ship in ${settings.dir}\n`);
    return 0;
  }
  if (report.stoppedBy !== undefined) {
    stderr.write(`mapp-s2s ship: stopped, ${report.units - report.unitsDone} files left: ${inFlagTerms(report.stoppedBy)}\n`);
    if (!quiet) stdout.write(`${describe(report, seconds)}\n`);
    return 1;
  }
  if (!quiet) stdout.write(`${describe(report, seconds)}\n`);
  else if (report.invalid > 0) stderr.write(`mapp-s2s ship: ${report.invalid} malformed lines skipped and removed\n`);
  return report.rejected > 0 || report.invalid > 0 || report.skippedUnits > 0 ? 1 : 0;
}
