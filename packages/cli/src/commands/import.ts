import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { acquireDirLock, createTracker, type Tracker } from '@mapp-s2s/core/node';
import { parseCommandArgs, type CommandIo } from '../io.js';
import { compileJsonLines } from '../import/json-lines.js';
import { compileLogFormat, LogFormatError, type LineParser } from '../import/log-format.js';
import { isValidHost } from '../import/log-record.js';
import { MALFORMED_LISTED, runImport, type ImportReport } from '../import/run-import.js';
import { loadState, StateFileError, type ImportState } from '../import/state.js';
import { boundedInt, DELIVERY_FLAG_OPTIONS, FLAG_BOUNDS, UsageError } from './flags.js';
import { createProgressBar } from './progress.js';
import { inFlagTerms } from './ship.js';

/** `--help` text of `mapp-s2s import`. */
export const IMPORT_USAGE = `Usage: mapp-s2s import [options] <log file>... (or - for stdin)

Turns web-server access logs into Mapp page views, with the same rules as the middleware:
GET requests answered 2xx or 304, documents rather than assets, no bots, --include and
--exclude. Each hit carries the time of its log line, the logged client IP (X-WT-IP) and
User-Agent, the referrer, and the page URL (pu) from --host or the logged host; the visitor's
eid comes from a logged Mapp cookie (wteid_<track id>, wtstp_eid, wt3_eid), else Mapp tells
visitors apart by User-Agent and IP. Files may be gzip-compressed (.gz, recognised by content).

Safe to run again (from cron, too): the state file remembers per file how far it was
imported, by identity (device, inode, first bytes) rather than name, so a growing log is
followed and a rotated one (access.log.1, access.log.2.gz) is not sent twice. Progress is
committed only once the hits were delivered (or written to the spool). Files are imported
oldest first. Malformed lines are counted and listed, and never stop the run. A live log's
last line without a newline is left for the next run (and said so); a run without a state
(--no-state, --dry-run, stdin) reads it. stdin may be gzip-compressed too.

Times: a line's time must be a real date (no 31 Feb, no second 60, zone offset within
+-14:00) between 2001-09-09T01:46:40Z and 2286-11-20T17:46:39.999Z, the 13-digit ms that
Mapp's p field 7 holds; other lines are malformed (time). A logged host must be a host name
(host or host:port, as --host), else the line is malformed (host).

Formats (--format):
  combined   (default) nginx/Apache combined:
             1.2.3.4 - - [10/Oct/2025:13:55:36 +0200] "GET /a HTTP/1.1" 200 512 "ref" "ua"
  common     the same without referrer and User-Agent (all hits count as bots unless you
             log the User-Agent: use combined or your own format)
  '<nginx log_format definition>'  the definition string from nginx.conf, e.g.
             --format '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" $host $cookie_wteid_123451234512345'
             Understood: $remote_addr $time_local $time_iso8601 $msec $request
             $request_method $request_uri $uri $args $status $host $http_host $server_name
             $scheme $sent_http_content_type $http_cookie $cookie_<name> $http_<header>;
             other variables are skipped. Quoted values may hold \\x22 and \\" escapes.
  json       JSON lines; keys named like nginx variables (remote_addr, time_iso8601,
             request, status, http_user_agent...) need no mapping, others do:
             --format json --field ip=client --field time=ts --field uri=path ...

Examples:
  mapp-s2s import --track-id 123451234512345 --track-domain track.example.com \\
    --host www.example.com /var/log/nginx/access.log*
  zcat old.log.gz | mapp-s2s import --format common --host www.example.com --dry-run -
  mapp-s2s import --format json --field ip=remote_ip --field time=ts --field uri=path \\
    --field status=code --field user_agent=agent --host www.example.com access.json
  mapp-s2s import --spool-dir /var/spool/mapp --track-id 123451234512345 access.log
    (then: mapp-s2s ship --dir /var/spool/mapp ...)

Options:
  --format <f>            combined (default), common, json or an nginx log_format definition
  --field <name>=<key>    JSON key (a.b for nested) of a field: ip, time, request, method, uri,
                          status, user_agent, referrer, host, scheme, forwarded_for, cookie,
                          content_type, cookie_<name>, http_<header>; repeat
  --host <host>           The site's public host for page URLs (overrides a logged host;
                          needed when the log has none)
  --scheme <http|https>   Scheme of page URLs (default: the logged $scheme, else https)
  --track-id <id>         15-digit track id, or several comma-separated (env MAPP_TRACK_ID)
  --track-domain <host>   Track domain or origin (env MAPP_TRACK_DOMAIN); hits go out in
                          batches (POST /<trackId>/batch)
  --spool-dir <dir>       Write the hits to spool files there instead, for mapp-s2s ship
  --dry-run               Print the hit lines to stdout; send and remember nothing
  --state <file>          Progress file (default $XDG_STATE_HOME/mapp-s2s/import-<track id>.json,
                          else ~/.local/state/...; env MAPP_IMPORT_STATE); a <file>.lock
                          keeps two runs apart
  --no-state              Import everything given, remember nothing (stdin never is)
  --trust-proxy <value>   The logged $remote_addr is a proxy: true, a hop count, or
                          addresses/CIDRs (loopback, 10.0.0.0/8, ...); the client is then
                          read from a logged X-Forwarded-For / Forwarded, as the middleware's
                          trustProxy does (env MAPP_TRUST_PROXY)
  --include <pattern>     Only URLs matching (path prefix or full URL, * wildcards); repeat
  --exclude <pattern>     Never URLs matching; repeat
  --anonymize-ip          Cut IPv4 to /24 and IPv6 to /48
  --max-attempts <n>      Attempts per batch (default 8)
  --timeout <ms>          Per POST (default 10000, max 600000); also how long SIGINT/SIGTERM
                          wait for the hits in hand before the run ends
  --max-retry-after <s>   Longest Retry-After to wait for (default 60, max 86400): Mapp asking
                          for longer stops the run (exit 1); the next run goes on from there
  --quiet                 Print only errors and the malformed-line list
  -h, --help              Show this help

Exit codes:
  0  done (malformed lines are reported, not failures)
  1  hits were not accepted (Mapp unreachable, retries exhausted, rejected, or it asked to
     wait longer than --max-retry-after) or a file could not be read: progress stops before
     them, the stop message says from which line the next run sends again. Also after
     SIGINT/SIGTERM, which stop reading, give the hits in hand up to --timeout ms to be
     delivered, and commit what was read only if all of it was
  2  usage error, or an unreadable or damaged state file
  3  another import run holds the state file's lock
`;

/** The default state file for a track id. */
export function defaultStatePath(env: Readonly<Record<string, string | undefined>>, trackId: string): string {
  if (env.MAPP_IMPORT_STATE) return env.MAPP_IMPORT_STATE;
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'mapp-s2s', `import-${trackId.replace(/,/g, '-')}.json`);
}

/** The parser for `--format` and `--field`. */
export function parserFor(format: string, fields: readonly string[]): LineParser {
  if (format === 'json') {
    const mappings: Record<string, string> = {};
    for (const field of fields) {
      const eq = field.indexOf('=');
      if (eq <= 0 || eq === field.length - 1) throw new UsageError(`--field "${field}": use <name>=<json key>, e.g. --field ip=remote_addr`);
      mappings[field.slice(0, eq).trim()] = field.slice(eq + 1).trim();
    }
    return compileJsonLines(mappings);
  }
  if (fields.length > 0) throw new UsageError('--field maps JSON keys: use it with --format json');
  return compileLogFormat(format).parse;
}

/** A warning for a log format that can yield no page view at all, or undefined. */
export function formatWarning(format: string): string | undefined {
  if (format === 'json') return undefined;
  const { variables } = compileLogFormat(format);
  if (variables.includes('http_user_agent')) return undefined;
  return 'this log format has no $http_user_agent: a request without a User-Agent counts as a bot (the middleware\'s rule, since Mapp would otherwise see the importer\'s own), so no line becomes a page view; log the User-Agent (combined does)';
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The output the hits went to. */
export type ImportMode = 'batch' | 'spool' | 'dry-run';

function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** What became of the page views, truthfully: delivered, rejected, not delivered, failed. */
export function describeOutcome(report: ImportReport, mode: ImportMode): string {
  if (mode === 'dry-run') return `${count(report.printed)} page views printed (dry run)`;
  const done = mode === 'spool' ? `${count(report.spooled)} page views written to the spool` : `${count(report.delivered)} page views delivered`;
  const parts = [done];
  for (const [reason, entry] of Object.entries(report.notDelivered)) {
    if (entry === undefined) continue;
    const detail = entry.detail === undefined ? '' : ` (${entry.detail})`;
    if (reason === 'rejected') parts.push(`${count(entry.count)} rejected by Mapp${detail}`);
    else if (reason === 'closed') parts.push(`${count(entry.count)} not delivered (the run ended before Mapp accepted them)`);
    else if (reason === 'retries-exhausted') parts.push(`${count(entry.count)} not delivered (retries exhausted${entry.detail === undefined ? '' : `: ${entry.detail}`})`);
    else parts.push(`${count(entry.count)} not delivered (${reason}${entry.detail === undefined ? '' : `: ${entry.detail}`})`);
  }
  if (report.failed > 0) parts.push(`${count(report.failed)} failed (${report.failedMessage ?? 'error'})`);
  let accounted = mode === 'spool' ? report.spooled : report.delivered;
  for (const entry of Object.values(report.notDelivered)) accounted += entry?.count ?? 0;
  accounted += report.failed;
  // Every page view handed over is one of the above once the tracker is closed; say it if not.
  if (report.pageViews > accounted) parts.push(`${count(report.pageViews - accounted)} unconfirmed`);
  return parts.join(', ');
}

/** The summary of a run, one fact per line. */
export function describeImport(report: ImportReport, seconds: number, mode: ImportMode): string {
  const rate = seconds > 0 ? Math.round(report.linesRead / seconds) : report.linesRead;
  const lines = [
    `${count(report.linesRead)} lines read from ${report.files} file${report.files === 1 ? '' : 's'}${report.unchangedFiles > 0 ? ` (${report.unchangedFiles} without new lines)` : ''} in ${seconds.toFixed(1)} s (${count(rate)} lines/s)`,
  ];
  if (report.incompleteTails > 0) lines.push(`${plural(report.incompleteTails, 'incomplete last line')} (no newline yet) left for the next run`);
  lines.push(describeOutcome(report, mode));
  const skipped = Object.entries(report.skipped).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  if (skipped.length > 0) lines.push(`skipped: ${skipped.map(([reason, n]) => `${reason} ${count(n ?? 0)}`).join(', ')}`);
  if (report.malformed > 0) {
    lines.push(`malformed: ${count(report.malformed)} (${Object.entries(report.malformedByReason).map(([reason, n]) => `${reason} ${count(n ?? 0)}`).join(', ')})`);
  }
  lines.push(`errors: ${count(report.errors)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Where a stopped run left each file it read, exactly: the line the next run sends again
 * from, whether or not this run committed anything, or that nothing is remembered.
 */
export function describeProgress(report: ImportReport, mode: ImportMode = 'batch'): string[] {
  const open = report.progress.filter((file) => file.committedLine === undefined || file.committedLine < file.readLine);
  if (open.length === 0) return ['every line read was delivered and its progress kept'];
  return open.map((file) => {
    if (file.committedLine === undefined) {
      const why = file.file === 'stdin' ? 'stdin never is' : mode === 'dry-run' ? '--dry-run' : '--no-state';
      return `${file.file}: nothing is remembered (${why}), so a new run ${mode === 'dry-run' ? 'reads' : 'sends'} all of it again, from line ${count(file.startLine + 1)}`;
    }
    if (file.committedLine === file.startLine) {
      return `${file.file}: no progress was committed in this run; the next run sends again from line ${count(file.startLine + 1)} (lines ${count(file.startLine + 1)}-${count(file.readLine)} were read)`;
    }
    return `${file.file}: progress is kept up to line ${count(file.committedLine)}; the next run sends again from line ${count(file.committedLine + 1)} (read up to ${count(file.readLine)})`;
  });
}

/** The malformed lines, capped at {@link MALFORMED_LISTED}. */
function describeMalformed(report: ImportReport): string {
  if (report.malformed === 0) return '';
  const listed = report.malformedLines.map((m) => `  ${m.file}:${m.line}: ${REASONS[m.reason]}${m.detail === undefined ? '' : `: ${m.detail}`}`);
  const more = report.malformed - report.malformedLines.length;
  return `mapp-s2s import: ${count(report.malformed)} malformed line${report.malformed === 1 ? '' : 's'} skipped:\n${listed.join('\n')}\n${more > 0 ? `  ... and ${count(more)} more (only the first ${MALFORMED_LISTED} are listed)\n` : ''}`;
}

const REASONS: Record<string, string> = {
  format: 'does not match the log format',
  time: 'unreadable time, an impossible date, or outside 2001-09-09..2286-11-20 (13-digit ms)',
  status: 'unreadable status',
  json: 'not a JSON object',
  'too-long': 'longer than 1 MiB',
  encoding: 'unreadable text',
  host: 'the logged host is no host name (host or host:port)',
  ip: 'the logged client is no IP address (a host name, unix:)',
  record: 'refused by the tracker',
};

/**
 * `mapp-s2s import`: parses flags, takes the state lock and runs the import with a tracker
 * from `@mapp-s2s/core/node` (batch to --track-domain, spool, or dry run). Returns the exit
 * code; never throws.
 */
export async function runImportCommand(argv: string[], io: CommandIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const parsed = parseCommandArgs('import', IMPORT_USAGE, {
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      field: { type: 'string', multiple: true },
      host: { type: 'string' },
      scheme: { type: 'string' },
      'track-id': { type: 'string' },
      'track-domain': { type: 'string' },
      'spool-dir': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      state: { type: 'string' },
      'no-state': { type: 'boolean', default: false },
      'trust-proxy': { type: 'string' },
      include: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      'anonymize-ip': { type: 'boolean', default: false },
      ...DELIVERY_FLAG_OPTIONS,
    },
  }, { stdout, stderr });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;

  const dryRun = values['dry-run'] === true;
  const spoolDir = values['spool-dir'];
  let tracker: Tracker;
  let parse: LineParser;
  let statePath: string | undefined;
  let host: string | undefined;
  let scheme: string | undefined;
  let timeout: number;
  let maxRetryAfter: number;
  try {
    if (positionals.length === 0) throw new UsageError('no log file given: name the files to import, or - for stdin');
    parse = parserFor(values.format ?? 'combined', values.field ?? []);
    host = values.host?.trim().toLowerCase();
    if (host !== undefined && !isValidHost(host)) throw new UsageError(`--host "${values.host}" is not a host name (host or host:port, without scheme or path)`);
    const maxAttempts = boundedInt('max-attempts', values['max-attempts'], 8, FLAG_BOUNDS.maxAttempts);
    timeout = boundedInt('timeout', values.timeout, 10_000, FLAG_BOUNDS.timeout);
    maxRetryAfter = boundedInt('max-retry-after', values['max-retry-after'], 60, FLAG_BOUNDS.maxRetryAfter) * 1000;
    scheme = values.scheme?.trim().toLowerCase();
    if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') throw new UsageError(`--scheme must be http or https, got "${values.scheme}"`);
    if (spoolDir !== undefined && dryRun) throw new UsageError('--dry-run and --spool-dir exclude each other');
    const trackDomain = values['track-domain'] || env.MAPP_TRACK_DOMAIN || undefined;
    if (trackDomain === undefined && !dryRun && spoolDir === undefined) throw new UsageError('missing --track-domain (or MAPP_TRACK_DOMAIN): where to send the hits (or --spool-dir, or --dry-run)');
    const coreEnv: Record<string, string | undefined> = { MAPP_TRACK_ID: env.MAPP_TRACK_ID, MAPP_TRUST_PROXY: values['trust-proxy'] ?? env.MAPP_TRUST_PROXY, MAPP_PROXY_HEADERS: env.MAPP_PROXY_HEADERS };
    const warn = (message: string): void => {
      stderr.write(`mapp-s2s import: warning: ${message.replace(/^mapp-s2s[^:]*: /, '')}\n`);
    };
    tracker = createTracker(
      {
        trackId: values['track-id'],
        // A spool or a dry run sends nothing: the domain is only needed by whoever ships.
        trackDomain: trackDomain ?? 'spool.invalid',
        ...(spoolDir !== undefined ? { transport: 'spool' as const, spool: { dir: spoolDir } } : { transport: 'batch' as const }),
        batch: {
          // Log lines are old by nature: their age must not end a retry.
          maxRetryAge: Number.MAX_SAFE_INTEGER,
          // A bulk job, not a page waiting: fewer, larger POSTs cost both ends less CPU per hit.
          maxBatchSize: 5000,
          maxAttempts,
          // A longer wait is Mapp's `Retry-After` only, which --max-retry-after bounds.
          backoffMax: Math.min(30_000, maxRetryAfter),
          maxQueueSize: 200_000,
          maxQueueBytes: 256 * 1024 * 1024,
        },
        ...(values.timeout === undefined ? {} : { timeout }),
        dryRun,
        flushOnExit: false,
        ...(values.include === undefined ? {} : { include: values.include }),
        ...(values.exclude === undefined ? {} : { exclude: values.exclude }),
        anonymizeIp: values['anonymize-ip'] === true,
        ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
        logger: { debug() {}, warn, error: warn },
      },
      coreEnv,
    );
    if (!values['no-state'] && !positionals.every((file) => file === '-')) {
      const trackId = (values['track-id'] ?? env.MAPP_TRACK_ID ?? '').split(',')[0]?.trim() ?? '';
      statePath = values.state ?? defaultStatePath(env, trackId);
    }
  } catch (error) {
    const message = error instanceof UsageError || error instanceof LogFormatError ? error.message : inFlagTerms((error as Error).message).replace(/MAPP_TRUST_PROXY/g, '--trust-proxy (MAPP_TRUST_PROXY)');
    stderr.write(`mapp-s2s import: ${message}\nRun "mapp-s2s import --help" for the options.\n`);
    return 2;
  }

  let state: ImportState | undefined;
  let lock: { release(): void } | undefined;
  if (statePath !== undefined) {
    if (!dryRun) {
      try {
        mkdirSync(dirname(statePath), { recursive: true, mode: 0o700 });
      } catch {
        // Reported by the lock attempt below.
      }
      const second = safeLock(`${statePath}.lock`);
      if (second instanceof Error) {
        await tracker.close();
        stderr.write(`mapp-s2s import: cannot create the lock ${statePath}.lock: ${second.message}\n`);
        return 2;
      }
      if (!second.ok) {
        await tracker.close();
        stderr.write(`mapp-s2s import: another import is running (process ${second.pid}${second.host ? ` on ${second.host}` : ''} holds ${second.path}); try again later\n`);
        return 3;
      }
      lock = second.lock;
    }
    try {
      state = loadState(statePath);
    } catch (error) {
      lock?.release();
      await tracker.close();
      stderr.write(`mapp-s2s import: ${(error as StateFileError).message}\n`);
      return 2;
    }
  }

  const quiet = values.quiet === true;
  const warning = formatWarning(values.format ?? 'combined');
  if (warning !== undefined) stderr.write(`mapp-s2s import: warning: ${warning}\n`);
  const bar = !quiet && stderr.isTTY ? createProgressBar(stderr) : undefined;
  let printed = '';
  // Ctrl-C or a cron timeout: stop reading, give the hits in hand --timeout ms, commit what
  // was delivered (a second signal ends the process at once, as the handler is gone by then).
  const stop = new AbortController();
  const onSignal = (): void => {
    stderr.write(`\nmapp-s2s import: stopping: delivering the lines read so far, for at most ${(timeout / 1000).toFixed(1)} s (press Ctrl-C again to quit at once)\n`);
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const onAbort = (): void => stop.abort();
  io.signal?.addEventListener('abort', onAbort);
  if (io.signal?.aborted) stop.abort();
  const started = performance.now();
  let report: ImportReport;
  try {
    report = await runImport({
      files: positionals,
      parse,
      site: { host, scheme },
      tracker,
      state: statePath !== undefined && state !== undefined ? { path: statePath, data: state } : undefined,
      ...(dryRun
        ? {
            printLine(line: string) {
              printed += `${line}\n`;
              if (printed.length > 64 * 1024) {
                stdout.write(printed);
                printed = '';
              }
            },
          }
        : {}),
      ...(io.stdin === undefined ? {} : { stdin: io.stdin }),
      signal: stop.signal,
      maxRetryAfter,
      closeTimeout: timeout,
      onProgress(progress) {
        if (bar === undefined) return;
        bar.update(progress.bytesTotal === 0 ? 0 : progress.bytesDone / progress.bytesTotal, `${count(progress.linesRead)} lines, ${count(progress.pageViews)} page views, file ${Math.min(progress.fileIndex + 1, progress.fileCount)}/${progress.fileCount}`);
      },
    });
  } catch (error) {
    // Only the state file's own writes can throw here (a full disk, say).
    bar?.done();
    stderr.write(`mapp-s2s import: stopped: ${(error as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    io.signal?.removeEventListener('abort', onAbort);
    // runImport closed it already; this only covers a run that threw.
    await tracker.close({ timeout: 0 });
    lock?.release();
  }
  if (printed !== '') stdout.write(printed);
  bar?.done();
  const seconds = (performance.now() - started) / 1000;
  const summaryOut = dryRun ? stderr : stdout;
  const mode: ImportMode = dryRun ? 'dry-run' : spoolDir !== undefined ? 'spool' : 'batch';
  if (!quiet) summaryOut.write(describeImport(report, seconds, mode));
  stderr.write(describeMalformed(report));
  for (const message of report.errorMessages) stderr.write(`mapp-s2s import: ${message}\n`);
  if (report.stoppedBy !== undefined) {
    const progress = describeProgress(report, mode).map((line) => `mapp-s2s import: ${line}\n`).join('');
    stderr.write(report.interrupted ? `mapp-s2s import: interrupted; run again to go on\n${progress}` : `mapp-s2s import: stopped: ${report.stoppedBy}; run again later\n${progress}`);
    return 1;
  }
  return report.errors > 0 ? 1 : 0;
}

function safeLock(path: string): ReturnType<typeof acquireDirLock> | Error {
  try {
    return acquireDirLock(path);
  } catch (error) {
    return error as Error;
  }
}
