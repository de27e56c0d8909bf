/**
 * @mapp-s2s/cli: the `mapp-s2s` command. `main(argv)` dispatches to the subcommands and
 * returns the exit code; `bin.ts` sets `process.exitCode` from it.
 */
import type { CommandIo } from './io.js';
import { runCollectorCommand } from './commands/collector.js';
import { IMPORT_USAGE, runImportCommand } from './commands/import.js';
import { runShipCommand, SHIP_USAGE } from './commands/ship.js';
import { SHIP_REDIS_USAGE } from './commands/ship-redis.js';
import { CLI_VERSION } from './version.js';

export type { CommandIo, TextOut } from './io.js';
export { IMPORT_USAGE, runImportCommand } from './commands/import.js';
export { runShipCommand, SHIP_USAGE } from './commands/ship.js';
export { runRedisShipCommand, SHIP_REDIS_USAGE } from './commands/ship-redis.js';
export type { RedisShipCommandIo } from './commands/ship-redis.js';
export { CLI_VERSION } from './version.js';

/** Top-level `--help` text. */
export const USAGE = `Usage: mapp-s2s <command> [options]

Commands:
  ship        Send spooled hits (<prefix>-<ms>.log files) to Mapp from cron, or (--from redis://…) ship a Redis Streams outbox
  collector   Run the local Mapp-compatible collector (inspector, fault injection);
              needs the optional package @mapp-s2s/collector installed next to the
              CLI (npm install --save-dev @mapp-s2s/collector), else exits 2
  import      Turn web-server access logs (combined, common, any nginx log_format,
              JSON lines; plain or .gz) into Mapp page views; safe to run again

Options:
  -h, --help     Show help (also: mapp-s2s <command> --help)
  -v, --version  Print the version
`;

/** Runs `mapp-s2s <argv>` and resolves with the exit code. Never rejects for user errors. */
export async function main(argv: readonly string[], io: CommandIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const [command, ...rest] = argv;
  if (command === undefined) {
    stderr.write(USAGE);
    return 2;
  }
  if (command === '-h' || command === '--help' || command === 'help') {
    stdout.write(rest[0] === 'ship' ? (rest.includes('--from') ? SHIP_REDIS_USAGE : SHIP_USAGE) : rest[0] === 'import' ? IMPORT_USAGE : USAGE);
    return 0;
  }
  if (command === '-v' || command === '--version') {
    stdout.write(`${CLI_VERSION}\n`);
    return 0;
  }
  if (command === 'ship') return runShipCommand(rest, io);
  if (command === 'import') return runImportCommand(rest, io);
  // The collector package (native SQLite) is an optional peer: the command loads it only
  // now, so `ship` installs and runs without it.
  if (command === 'collector') return runCollectorCommand(rest, { stdout, stderr });
  stderr.write(`mapp-s2s: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}
