#!/usr/bin/env node
import { main } from './index.js';

// The reader of stdout went away (`mapp-s2s import --dry-run … | head`): stop the command the
// way SIGINT does (what was read is settled, progress is kept), never with a stack trace.
// Whatever it still writes to stdout goes nowhere.
const stdoutClosed = new AbortController();
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  stdoutClosed.abort();
});

main(process.argv.slice(2), { signal: stdoutClosed.signal }).then(
  (code) => {
    // Output cut short by the reader is what `| head` asked for, not a failure.
    process.exitCode = stdoutClosed.signal.aborted && code !== 2 ? 0 : code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
