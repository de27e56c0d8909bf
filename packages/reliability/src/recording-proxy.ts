import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a shop sent towards Mapp, exactly as it left the shop. */
export interface RecordedRequest {
  method: string;
  /** Request target as sent (path and query, not decoded). */
  target: string;
  headers: IncomingHttpHeaders;
  /** Header block as raw name/value pairs, to spot anything a parser would fold away. */
  rawHeaders: string[];
  body: string;
}

/** A loopback HTTP server that records every request and relays it to `upstream` unchanged. */
export interface RecordingProxy {
  /** Origin to use as the shop's track domain, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a recorder in front of the collector, so tests can check what the collector does
 * not store: the `Cookie` and other headers the shop sends upstream.
 */
export async function startRecordingProxy(upstream: string): Promise<RecordingProxy> {
  const target = new URL(upstream);
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: body.toString('latin1') });
      const relay = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      relay.on('error', () => res.destroy());
      relay.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback server that only counts what reaches it: the "evil" upstream of open-proxy attempts. */
export interface CountingServer {
  readonly url: string;
  readonly port: number;
  readonly hits: string[];
  close(): Promise<void>;
}

/** Starts a {@link CountingServer}. */
export async function startCountingServer(): Promise<CountingServer> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('evil');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
