import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A writable text stream (process.stdout fits). */
export interface TextOut {
  write(text: string): unknown;
  /** Set on terminals: enables the progress bar. */
  isTTY?: boolean;
  columns?: number;
}

/** What a command may touch of the outside world; tests pass their own. */
export interface CommandIo {
  /** @default process.stdout */
  stdout?: TextOut;
  /** @default process.stderr */
  stderr?: TextOut;
  /** @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** What `-` reads (`mapp-s2s import -`). @default process.stdin */
  stdin?: NodeJS.ReadableStream & AsyncIterable<unknown>;
  /** Stops a long-running command early, as SIGINT/SIGTERM do (`import`: after settling what it read). */
  signal?: AbortSignal;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * Resolves at SIGINT or SIGTERM, or when `signal` aborts: how a long-running command
 * (`collector`, `ship --from`) waits until it is told to stop. Its listeners are removed then.
 */
export function untilStopped(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop);
  });
}

/**
 * Parses a command's flags, or finishes the command when there is nothing to run: a flag error
 * gets its message and the usage on stderr (exit code 2), `--help` the usage on stdout (exit
 * code 0). `config` is `parseArgs`'s, with a boolean `help` option. Returns the parsed flags, or
 * the exit code.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(command: string, usage: string, config: T, out: { stdout: TextOut; stderr: TextOut }): ReturnType<typeof parseArgs<T>> | number {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    out.stderr.write(`mapp-s2s ${command}: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: unknown }).help === true) {
    out.stdout.write(usage);
    return 0;
  }
  return parsed;
}
