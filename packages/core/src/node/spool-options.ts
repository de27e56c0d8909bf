import { InvalidOptionError, MissingOptionError } from '../errors.js';
import type { SpoolOptions } from '../types.js';
import { DEFAULT_SPOOL_PREFIX } from './spool-files.js';

/** Default cap of one spool folder (one prefix): 1 GiB, about 1.5 million page views. @internal */
export const DEFAULT_SPOOL_MAX_TOTAL_BYTES = 1024 * 1024 * 1024;

/** Spool options with defaults applied. @internal */
export type ResolvedSpoolOptions = Required<SpoolOptions> & { dir: string };

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(`spool.${name}`, `mapp-s2s: invalid option \`spool.${name}\`: received ${String(value)}. Use a positive number.`);
  }
  return Math.floor(value);
}

/**
 * Applies the documented defaults and rejects nonsense at construction time, naming
 * the option. `dir` is required.
 * @internal
 */
export function resolveSpoolOptions(options: SpoolOptions | undefined): ResolvedSpoolOptions {
  const dir = options?.dir;
  if (typeof dir !== 'string' || dir.trim() === '') {
    throw new MissingOptionError('spool.dir', 'mapp-s2s: missing option `spool.dir`: the spool needs a folder, e.g. { spool: { dir: "/var/spool/mapp" } }.');
  }
  const prefix = options?.prefix ?? DEFAULT_SPOOL_PREFIX;
  if (!/^[A-Za-z0-9._-]+$/.test(prefix)) {
    throw new InvalidOptionError('spool.prefix', `mapp-s2s: invalid option \`spool.prefix\`: received ${JSON.stringify(prefix)}. Use letters, digits, '.', '_' and '-' only.`);
  }
  const fsync = options?.fsync ?? 'interval';
  if (fsync !== 'always' && fsync !== 'interval' && fsync !== 'never') {
    throw new InvalidOptionError('spool.fsync', `mapp-s2s: invalid option \`spool.fsync\`: received ${JSON.stringify(fsync)}. Use 'always', 'interval' or 'never'.`);
  }
  return {
    dir,
    prefix,
    fsync,
    fsyncInterval: positive('fsyncInterval', options?.fsyncInterval, 1000),
    maxFileLines: positive('maxFileLines', options?.maxFileLines, 10_000),
    maxFileAge: positive('maxFileAge', options?.maxFileAge, 30 * 60 * 1000),
    maxFileSize: positive('maxFileSize', options?.maxFileSize, 20 * 1024 * 1024),
    maxTotalBytes: positive('maxTotalBytes', options?.maxTotalBytes, DEFAULT_SPOOL_MAX_TOTAL_BYTES),
  };
}
