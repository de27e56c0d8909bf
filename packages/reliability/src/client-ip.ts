import { isIP } from 'node:net';

/** Loopback as `trustProxy: 'loopback'` understands it: 127.0.0.0/8 and ::1 (also IPv4-mapped). */
export function isLoopback(address: string): boolean {
  const plain = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1' || plain === '0:0:0:0:0:0:0:1';
}

/** Strips quotes, IPv6 brackets and a port from one forwarded hop, as RFC 7239 writes them. */
function hopAddress(node: string): string | undefined {
  let text = node.trim();
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) text = text.slice(1, -1);
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    text = close === -1 ? '' : text.slice(1, close);
  } else if (text.split(':').length === 2) {
    text = text.slice(0, text.indexOf(':'));
  }
  return isIP(text) === 0 ? undefined : text;
}

/** `for=` values of an RFC 7239 `Forwarded` header, left to right; commas inside quotes do not split. */
function forwardedFor(value: string): string[] {
  const elements: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of value) {
    if (char === '"') quoted = !quoted;
    if (char === ',' && !quoted) {
      elements.push(current);
      current = '';
    } else current += char;
  }
  elements.push(current);
  return elements.map((element) => {
    const match = /(?:^|;)\s*for\s*=\s*("[^"]*"|[^;]*)/i.exec(element);
    return match ? (match[1] ?? '').trim() : '';
  });
}

/**
 * The addresses a correct tracker may report for a request from `peer`: the peer itself
 * when no proxy is trusted (or the peer is not one), else the right-most forwarded hop
 * that is not loopback (walking stops at junk, keeping the last verified hop). With both
 * kinds of header (`proxyHeaders: 'auto'`), a hop counts only where both chains name the
 * same address at the same distance from the right; the walk stops where they differ or one
 * ends. An independent reference for the suite, written from the rule, not from core.
 */
export function allowedClientIps(peer: string, trustLoopback: boolean, headers: { xForwardedFor?: string; forwarded?: string }): Set<string> {
  if (!trustLoopback || !isLoopback(peer)) return new Set([normalizeIp(peer)]);
  const chains: string[][] = [];
  // An empty header names no hop: it is no header (Node trims header values, and a proxy that
  // writes a kind always writes at least its own peer into it).
  if (headers.xForwardedFor !== undefined && headers.xForwardedFor.trim() !== '') chains.push(headers.xForwardedFor.split(','));
  if (headers.forwarded !== undefined && headers.forwarded.trim() !== '') chains.push(forwardedFor(headers.forwarded));
  const length = chains.length === 0 ? 0 : Math.min(...chains.map((chain) => chain.length));
  let current = peer;
  for (let fromRight = 1; fromRight <= length; fromRight++) {
    const named = chains.map((chain) => hopAddress(chain[chain.length - fromRight] ?? ''));
    const first = named[0];
    if (first === undefined || named.some((address) => address === undefined || normalizeIp(address) !== normalizeIp(first))) break;
    current = first;
    if (!isLoopback(first)) break;
  }
  return new Set([normalizeIp(current)]);
}

/** One spelling per address, so `::FFFF:127.0.0.1`, `::ffff:127.0.0.1` and `127.0.0.1` compare equal. */
export function normalizeIp(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
  if (isIP(lower) === 6) return expandIpv6(lower);
  return lower;
}

function expandIpv6(address: string): string {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  const groups = tail === undefined ? left : [...left, ...Array.from({ length: missing }, () => '0'), ...right];
  return groups.map((group) => Number.parseInt(group, 16).toString(16)).join(':');
}
