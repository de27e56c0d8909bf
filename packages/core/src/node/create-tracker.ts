import type { ResolvedConfig, TrackerEnv } from '../options.js';
import { createTrackerWith, resolveWebTransport, type CreateTrackerSettings } from '../tracker.js';
import type { Tracker, TrackerOptions, TransportFactory } from '../types.js';
import { createBatchTransport } from '../transport/batch.js';
import { createDirectTransport } from '../transport/direct.js';
import { createDurableBatchTransport } from './durable-batch.js';
import { reportLossAtExit } from '../exit-report.js';
import { flushOnExit } from './exit-flush.js';
import { createNodeRequester } from './node-requester.js';
import { createUndiciRequester } from './undici-requester.js';
import { createSpoolTransport } from './spool.js';

/**
 * Node's transport resolver: adds `spool` ("log now, ship later") and, for `batch` with
 * `spool.dir`, the write-ahead log (`createDurableBatchTransport`). Everything else is
 * the web resolver's.
 * @internal
 */
export function resolveNodeTransport(config: ResolvedConfig): TransportFactory {
  if (config.transport === 'spool') return createSpoolTransport(config.spool);
  // Without a user `fetch`: POSTs over node:http, direct GETs over undici (see the requesters).
  const internal = config.fetchExplicit ? {} : { httpClient: createNodeRequester };
  if (config.transport === 'batch' && config.spool.dir !== undefined) {
    // The 2 s `timeout` default is for `direct`; a POST keeps the batch's own default unless set.
    return createDurableBatchTransport({ ...config.batch, ...(config.timeoutExplicit ? { timeout: config.timeout } : {}), spool: config.spool }, internal);
  }
  if (config.transport === 'batch') return createBatchTransport(config.timeoutExplicit ? { ...config.batch, timeout: config.timeout } : { ...config.batch }, internal);
  if (config.transport === 'direct') return createDirectTransport({ timeout: config.timeout }, config.fetchExplicit ? {} : { httpClient: createUndiciRequester });
  return resolveWebTransport(config);
}

/**
 * Node's `createTracker`: like the main entry's, but `env` defaults to `process.env`,
 * the default transport is `batch`, and `transport: 'spool'` and `batch` + `spool.dir`
 * (write-ahead log) are available. A process that exits on its own still delivers its
 * queued hits (`flushOnExit`, via `beforeExit`). Registers no signal handlers: call
 * `tracker.close({ timeout })` on SIGTERM yourself (see the README).
 */
export function createTracker(options: TrackerOptions, env: TrackerEnv = process.env, settings: CreateTrackerSettings = {}): Tracker {
  return createTrackerWith(options, env, resolveNodeTransport, { ...settings, defaultTransport: 'batch' }, (tracker, config) => {
    if (config.dryRun) return;
    if (config.flushOnExit !== false) flushOnExit(tracker, config.flushOnExit, config.logger, config.debug);
    // With the write-ahead log (batch + spool.dir) queued hits are on disk already and go out
    // at the next start; otherwise what is still in memory at exit is lost, and said so.
    if (!(config.transport === 'batch' && config.spool.dir !== undefined)) {
      reportLossAtExit(tracker, 'await tracker.close({ timeout }) before process.exit() (e.g. in your SIGTERM handler)');
    }
  });
}
