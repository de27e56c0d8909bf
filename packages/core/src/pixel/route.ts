import type { PixelRejectReason } from './types.js';

/** Where a pixel request goes once its path was checked. */
export interface PixelRoute {
  /** `server`: sendViaServer form (`<mount>?p=…`); `wt`: track-domain single hit; `batch`: beacon lines. */
  kind: 'server' | 'wt' | 'batch';
  /** Validated, configured track id(s) the hit is recorded into (comma-separated). */
  trackId: string;
  /** `true` for `POST` (lines in the body), `false` for `GET`/`HEAD` (one line in the query). */
  hasBody: boolean;
}

/** A refused request: the status to answer and why. Nothing is sent to Mapp. */
export interface PixelRejection {
  status: 400 | 404 | 405 | 413 | 414 | 415;
  reason: PixelRejectReason;
}

const TRACK_IDS = /^\d{15}(?:,\d{15})*$/;
// The pixel appends 5–14 random characters to `/wt` when `requestObfuscation` is on.
const WT_SEGMENT = /^wt[a-z0-9_-]{0,20}$/;

/**
 * Splits a raw request target (`/path?query`, as received) into path and query.
 * The hash never reaches a server, but a hand-made request may carry one: it is dropped.
 */
export function splitTarget(target: string): { path: string; query: string } {
  const withoutHash = target.split('#', 1)[0] ?? '';
  const mark = withoutHash.indexOf('?');
  return mark === -1
    ? { path: withoutHash, query: '' }
    : { path: withoutHash.slice(0, mark), query: withoutHash.slice(mark + 1) };
}

/**
 * Refuses any path that could smuggle a different upstream URL or escape the mount.
 * The legitimate paths are digits, commas, `wt…`, `batch` and slashes only, so every
 * `%`, backslash, dot segment, empty segment or absolute form is refused outright
 * instead of being decoded and normalised (which is where double-encoding tricks live).
 */
function unsafePath(path: string): boolean {
  if (!path.startsWith('/') && path !== '') return true; // absolute-form (`http://…`) or garbage
  if (/[^\x21-\x7e]/.test(path)) return true; // spaces, controls, non-ASCII
  if (path.includes('\\') || path.includes('%')) return true;
  if (path.startsWith('//')) return true; // protocol-relative
  return path.split('/').some((segment, index, all) => {
    if (segment === '.' || segment === '..') return true;
    // Only the leading empty segment and one trailing slash are tolerated.
    return segment === '' && index !== 0 && index !== all.length - 1;
  });
}

/**
 * Checks method and path of a pixel request (path relative to the mount) against the
 * configured track ids. Returns the route, or the 4xx rejection.
 */
export function parsePixelRoute(
  method: string,
  subPath: string,
  configuredTrackId: string,
): PixelRoute | PixelRejection {
  if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return { status: 405, reason: 'method' };
  if (unsafePath(subPath)) return { status: 400, reason: 'path' };
  const hasBody = method === 'POST';
  const segments = subPath.split('/').filter((segment) => segment !== '');
  if (segments.length === 0) return { kind: 'server', trackId: configuredTrackId, hasBody };
  if (segments.length !== 2) return { status: 404, reason: 'path' };
  const [ids = '', leaf = ''] = segments;
  if (!TRACK_IDS.test(ids)) return { status: 404, reason: 'track-id' };
  const allowed = new Set(configuredTrackId.split(','));
  if (!ids.split(',').every((id) => allowed.has(id))) return { status: 404, reason: 'track-id' };
  if (leaf === 'batch') return hasBody ? { kind: 'batch', trackId: ids, hasBody } : { status: 405, reason: 'method' };
  if (WT_SEGMENT.test(leaf)) return { kind: 'wt', trackId: ids, hasBody };
  return { status: 404, reason: 'path' };
}

/** Type guard for the rejection branch of `parsePixelRoute`. */
export function isRejection(value: PixelRoute | PixelRejection): value is PixelRejection {
  return 'status' in value;
}
