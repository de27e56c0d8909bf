import { request as httpRequest } from 'node:http';

/** An HTTP answer as received: status, raw headers, body bytes. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * Sends a request exactly as written (no path normalisation, unlike `fetch`), optionally with
 * a body written in `chunks` (chunked transfer encoding).
 */
export function rawRequest(base: string, method: string, path: string, headers: Record<string, string> = {}, chunks: readonly Buffer[] = []): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => parts.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}
