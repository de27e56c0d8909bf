/**
 * The ordering key of a wire line read back from a spool file: `eid`, else `ceid`, else
 * client IP + user agent (the same identity Mapp uses for sessions, docs/protocol.md §6).
 * Replayed hits need it to land in the right lane, since spool files hold bare lines.
 * @internal
 */
export function keyFromLine(line: string): string {
  const query = line.startsWith('wt?') ? line.slice(3) : line.startsWith('?') ? line.slice(1) : line;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    return '';
  }
  const eid = params.get('eid');
  if (eid) return eid;
  const ceid = params.get('ceid');
  if (ceid) return `ceid:${ceid}`;
  return `${params.get('X-WT-IP') ?? ''}|${params.get('X-WT-UA') ?? ''}`;
}
