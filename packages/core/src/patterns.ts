import { compileGlob, type GlobMatcher } from './glob.js';
import type { UrlPattern } from './types.js';

/**
 * Tests a request: `path` is pathname + search, `url` the absolute URL, `pathname` the path
 * without the query (defaults to `path` up to its `?`).
 */
export type UrlMatcher = (path: string, url: string, pathname?: string) => boolean;

/**
 * Compiles include/exclude patterns once. Strings are prefixes with `*` wildcards, matched
 * against the full URL when they contain `://`, else against the path (with query).
 * Wildcards use the linear-time matcher of `glob.ts`, never a regular expression, so no path
 * can make a pattern slow. Regular expressions are tested against the path without the query,
 * the path with it and the full URL, exactly as given (a match on any counts), so an anchored
 * `/^\/admin(\/|$)/` also matches `/admin?tab=1`: their cost on long input is the caller's
 * responsibility.
 */
export function compilePatterns(patterns: readonly UrlPattern[]): UrlMatcher {
  const onPath: RegExp[] = [];
  const onUrl: RegExp[] = [];
  const prefixes: string[] = [];
  const urlPrefixes: string[] = [];
  const globsOnPath: GlobMatcher[] = [];
  const globsOnUrl: GlobMatcher[] = [];
  for (const pattern of patterns) {
    if (pattern instanceof RegExp) {
      // A global/sticky regex keeps lastIndex between calls; use a stateless copy.
      const regex = pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')) : pattern;
      onPath.push(regex);
      onUrl.push(regex);
    } else if (!pattern.includes('*')) {
      (pattern.includes('://') ? urlPrefixes : prefixes).push(pattern);
    } else {
      (pattern.includes('://') ? globsOnUrl : globsOnPath).push(compileGlob(pattern, { anchorEnd: false }));
    }
  }
  return (path, url, pathname) => {
    for (const prefix of prefixes) if (path.startsWith(prefix)) return true;
    for (const prefix of urlPrefixes) if (url.startsWith(prefix)) return true;
    for (const glob of globsOnPath) if (glob(path)) return true;
    for (const glob of globsOnUrl) if (glob(url)) return true;
    if (onPath.length === 0) return false;
    let bare = pathname;
    if (bare === undefined) {
      const q = path.indexOf('?');
      bare = q === -1 ? path : path.slice(0, q);
    }
    for (const regex of onPath) if (regex.test(bare) || (bare.length !== path.length && regex.test(path))) return true;
    for (const regex of onUrl) if (regex.test(url)) return true;
    return false;
  };
}
