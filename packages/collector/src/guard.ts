import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';

/**
 * Request guards of the collector's own routes (the inspector, `/api/*`, `/_control/*`).
 * The tracking endpoints stay open to any Host and Origin: browsers' pixels post there from
 * every site, and they only write hits and answer a GIF, so they disclose nothing.
 */

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Forbids framing of every answer of the collector's own routes (clickjacking: a page that
 * frames the inspector could trick a click on "Clear"). `X-Frame-Options: DENY` for older
 * browsers, CSP `frame-ancestors 'none'` for current ones; the inspector page's own policy
 * (control.ts) repeats the directive, since an answer's `writeHead` header replaces this one.
 */
export function denyFraming(res: ServerResponse): void {
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('content-security-policy', "frame-ancestors 'none'");
}
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * Decides whether a `Host` header names this collector. Accepted: `localhost`, `127.0.0.1`
 * and `[::1]` with the collector's port, the bound host with that port, any IP literal with
 * that port when bound to all interfaces (`0.0.0.0`/`::`: DNS rebinding needs a name, never
 * an IP), and every entry of `allowedHosts` (`name` for any port, `name:port` for one).
 * Anything else is a name an attacker's DNS may point at 127.0.0.1 (DNS rebinding): a page
 * on it would read the stored IPs and eids as same-origin.
 */
export function createHostCheck(boundHost: string, port: number, allowedHosts: readonly string[]): (hostHeader: string | undefined) => boolean {
  const bound = normalizeHostname(boundHost.includes(':') && !boundHost.startsWith('[') ? `[${boundHost}]` : boundHost);
  const anyIp = WILDCARDS.has(bound);
  const anyPort = new Set<string>();
  const exact = new Set<string>();
  for (const entry of allowedHosts) {
    const parsed = splitHost(entry.trim());
    if (parsed === undefined) continue;
    if (parsed.port === undefined) anyPort.add(parsed.hostname);
    else exact.add(`${parsed.hostname}:${parsed.port}`);
  }
  return (hostHeader) => {
    // Node answers a missing Host with 400 itself (requireHostHeader); without one the
    // request is from no browser, so there is nothing to rebind.
    if (hostHeader === undefined) return true;
    const parsed = splitHost(hostHeader);
    if (parsed === undefined) return false;
    const { hostname } = parsed;
    if (anyPort.has(hostname) || (parsed.port !== undefined && exact.has(`${hostname}:${parsed.port}`))) return true;
    if ((parsed.port ?? 80) !== port) return false;
    return LOOPBACK_NAMES.has(hostname) || hostname === bound || (anyIp && isIP(hostname.replace(/^\[|\]$/g, '')) !== 0);
  };
}

/** `Host: Example.COM.:8080` → `{ hostname: 'example.com', port: 8080 }`; `undefined` when malformed. */
function splitHost(value: string): { hostname: string; port: number | undefined } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*)(?::(\d{1,5}))?$/.exec(value.trim());
  if (match === null) return undefined;
  const hostname = normalizeHostname(match[1] ?? '');
  if (hostname === '') return undefined;
  return { hostname, port: match[2] === undefined ? undefined : Number(match[2]) };
}

function normalizeHostname(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

/**
 * Why a state-changing control request (`PUT`/`POST /_control/*`) is refused, or `undefined`
 * when it may run. A page on another origin can send "simple" cross-site requests (a form
 * post, `fetch` with `mode: 'no-cors'`) that reset the hits or switch on faults; so a write must
 * come from the same origin or from no browser at all (no `Origin`, no cross-site
 * `Sec-Fetch-Site`), and must be `application/json`, a type no simple request can have:
 * a browser asks first (CORS preflight) and the collector never allows it.
 */
export function controlWriteProblem(req: IncomingMessage): { status: 403 | 415; message: string } | undefined {
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { status: 403, message: `control requests must come from the collector's own origin (Sec-Fetch-Site: ${site})` };
  }
  const origin = header(req, 'origin');
  if (origin !== undefined && !isSameOrigin(origin, header(req, 'host'))) {
    return { status: 403, message: `control requests must come from the collector's own origin, not ${origin}` };
  }
  const type = (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    return { status: 415, message: `control requests must be sent as Content-Type: application/json (got ${type === '' ? 'none' : type})` };
  }
  return undefined;
}

function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`http://${host}`).host;
  } catch {
    return false; // `null` (a sandboxed frame, a file: page) or junk
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
