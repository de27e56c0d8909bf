import type { SpoolOptions } from '../types.js';
import { DEFAULT_SPOOL_PREFIX } from './spool-files.js';

/** Spool options with defaults applied. @internal */
export type ResolvedSpoolOptions = Required<SpoolOptions> & { dir: string };

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`mapp-s2s: spool.${name} must be a positive number, received ${String(value)}.`);
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
    throw new TypeError('mapp-s2s: the spool needs a folder: set spool.dir (e.g. { spool: { dir: "/var/spool/mapp" } }).');
  }
  const prefix = options?.prefix ?? DEFAULT_SPOOL_PREFIX;
  if (!/^[A-Za-z0-9._-]+$/.test(prefix)) {
    throw new TypeError(`mapp-s2s: spool.prefix may only hold letters, digits, '.', '_' and '-', received ${JSON.stringify(prefix)}.`);
  }
  const fsync = options?.fsync ?? 'interval';
  if (fsync !== 'always' && fsync !== 'interval' && fsync !== 'never') {
    throw new TypeError(`mapp-s2s: spool.fsync must be 'always', 'interval' or 'never', received ${JSON.stringify(fsync)}.`);
  }
  return {
    dir,
    prefix,
    fsync,
    fsyncInterval: positive('fsyncInterval', options?.fsyncInterval, 1000),
    maxFileLines: positive('maxFileLines', options?.maxFileLines, 10_000),
    maxFileAge: positive('maxFileAge', options?.maxFileAge, 30 * 60 * 1000),
    maxFileSize: positive('maxFileSize', options?.maxFileSize, 20 * 1024 * 1024),
  };
}
