/** `host:port` of a Redis URL, without user or password (it goes into log lines). */
export function redisTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(unparsable Redis URL)';
  }
}

/** A short reason for a failed Redis command or connection: the socket error code first, then the message. */
export function describeRedisError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  // net.connect to localhost may try ::1 and 127.0.0.1: Node reports an AggregateError.
  if (Array.isArray(errors) && errors.length > 0) return describeRedisError(errors[0]);
  const text = typeof message === 'string' ? message : '';
  if (typeof code === 'string') return text.includes(code) ? text : `${code}: ${text}`;
  return text === '' ? 'unknown error' : text;
}
