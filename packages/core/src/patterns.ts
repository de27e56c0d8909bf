import { compileGlob, type GlobMatcher } from './glob.js';
import type { UrlPattern } from './types.js';

/** Tests a request: `path` is pathname + search, `url` the absolute URL. */
export type UrlMatcher = (path: string, url: string) => boolean;

/**
 * Compiles include/exclude patterns once. Strings are prefixes with `*` wildcards, matched
 * against the full URL when they contain `://`, else against the path (with query).
 * Wildcards use the linear-time matcher of `glob.ts`, never a regular expression, so no path
 * can make a pattern slow. Regular expressions are tested against both the path and the full
 * URL exactly as given: their cost on long input is the caller's responsibility.
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
  return (path, url) => {
    for (const prefix of prefixes) if (path.startsWith(prefix)) return true;
    for (const prefix of urlPrefixes) if (url.startsWith(prefix)) return true;
    for (const glob of globsOnPath) if (glob(path)) return true;
    for (const glob of globsOnUrl) if (glob(url)) return true;
    for (const regex of onPath) if (regex.test(path)) return true;
    for (const regex of onUrl) if (regex.test(url)) return true;
    return false;
  };
}
