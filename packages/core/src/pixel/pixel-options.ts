import { MAX_PIXEL_LINE_CHARS } from '../encode.js';
import { InvalidOptionError } from '../errors.js';
import type { TrackerEnv } from '../options.js';
import type { TrackerOptions } from '../types.js';
import type { DroppedRequests, PageNamePattern } from './dropped-requests.js';
import type { PixelProxyMode, PixelProxyOptions } from './types.js';

/** Option keys `createPixelProxy` adds to `TrackerOptions` (not passed on to the tracker). */
export const PIXEL_OPTION_KEYS = [
  'mode',
  'tracker',
  'forwardTimeout',
  'fallback',
  'serverCookie',
  'droppedRequests',
  'blacklist',
  'maxQueryLength',
  'maxBodyBytes',
  'maxBodyLines',
  'mountPath',
  'onPixelEvent',
] as const;

/** The pass-through settings with every default applied. @internal */
export interface ResolvedPixelOptions {
  mode: PixelProxyMode;
  forwardTimeout: number;
  serverCookie: boolean;
  droppedRequests: DroppedRequests;
  blacklist: readonly PageNamePattern[];
  maxQueryLength: number;
  maxBodyBytes: number;
  maxBodyLines: number;
  mountPath: string;
}

function positiveInteger(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidOptionError(option, `mapp-s2s: invalid option \`${option}\`: received ${String(value)}. Use a positive whole number.`);
  }
  return value;
}

/** `maxQueryLength`: up to the pixel's own cut, so every line fits `sendLine` and a single GET. */
function maxQueryLength(value: unknown): number {
  const length = positiveInteger('maxQueryLength', value, MAX_PIXEL_LINE_CHARS);
  if (length > MAX_PIXEL_LINE_CHARS) {
    throw new InvalidOptionError('maxQueryLength', `mapp-s2s: invalid option \`maxQueryLength\`: received ${length}. Use at most ${MAX_PIXEL_LINE_CHARS}, the Smart Pixel's own limit.`);
  }
  return length;
}

/** Removes the pass-through keys, leaving what `createTracker`/`resolveOptions` accept. */
export function trackerOptionsOf(options: PixelProxyOptions): TrackerOptions {
  const rest: Record<string, unknown> = { ...options };
  for (const key of PIXEL_OPTION_KEYS) delete rest[key];
  return rest as TrackerOptions;
}

/**
 * Validates and defaults the pass-through settings once, at construction, naming the fix
 * (house style: config mistakes surface on the first deploy, not the first request).
 */
export function resolvePixelOptions(options: PixelProxyOptions, env: TrackerEnv): ResolvedPixelOptions {
  const mode = options.mode ?? env.MAPP_PIXEL_MODE ?? 'queue';
  if (mode !== 'forward' && mode !== 'queue') {
    throw new InvalidOptionError('mode', `mapp-s2s: invalid option \`mode\`: received ${JSON.stringify(mode)}. Use 'forward' or 'queue'.`);
  }
  const dropped = options.droppedRequests ?? 0;
  if (dropped !== 0 && dropped !== 1 && dropped !== 2 && dropped !== 3) {
    throw new InvalidOptionError('droppedRequests', `mapp-s2s: invalid option \`droppedRequests\`: received ${String(dropped)}. Use 0 (none), 1 (orders), 2 (products) or 3 (page hits).`);
  }
  const blacklist = options.blacklist ?? [/.+/];
  if (!Array.isArray(blacklist) || !blacklist.every((entry) => typeof entry === 'string' || entry instanceof RegExp)) {
    throw new InvalidOptionError('blacklist', 'mapp-s2s: invalid option `blacklist`: use an array of page names (`*` wildcards allowed) or RegExps.');
  }
  const mountPath = options.mountPath ?? '';
  if (typeof mountPath !== 'string' || (mountPath !== '' && (!mountPath.startsWith('/') || mountPath.endsWith('/') || /[%\\?#]/.test(mountPath)))) {
    throw new InvalidOptionError('mountPath', `mapp-s2s: invalid option \`mountPath\`: received ${JSON.stringify(mountPath)}. Use '' or a path like '/mapp/pixel' (leading slash, no trailing slash).`);
  }
  return {
    mode,
    forwardTimeout: positiveInteger('forwardTimeout', options.forwardTimeout, 1000),
    serverCookie: options.serverCookie === true,
    droppedRequests: dropped,
    blacklist,
    maxQueryLength: maxQueryLength(options.maxQueryLength),
    maxBodyBytes: positiveInteger('maxBodyBytes', options.maxBodyBytes, 65536),
    maxBodyLines: positiveInteger('maxBodyLines', options.maxBodyLines, 100),
    mountPath,
  };
}
