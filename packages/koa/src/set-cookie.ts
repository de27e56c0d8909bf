import type { ServerResponse } from 'node:http';

function currentSetCookies(res: ServerResponse): string[] {
  const current = res.getHeader('set-cookie');
  if (current === undefined) return [];
  return Array.isArray(current) ? current.map(String) : [String(current)];
}

/** Adds one `Set-Cookie` value, keeping every value already set. @internal */
export function appendSetCookie(res: ServerResponse, value: string): void {
  res.setHeader('set-cookie', [...currentSetCookies(res), value]);
}

/** Takes back a `Set-Cookie` value this adapter added, while headers are still unsent. @internal */
export function removeSetCookie(res: ServerResponse, value: string): void {
  if (res.headersSent) return;
  const remaining = currentSetCookies(res).filter((cookie) => cookie !== value);
  if (remaining.length === 0) res.removeHeader('set-cookie');
  else res.setHeader('set-cookie', remaining);
}
