import { connect } from 'node:net';

/** One HTTP/1.1 answer read off a raw socket. */
export interface RawResponse {
  /** Status code, or 0 when the server closed the connection without an answer. */
  status: number;
  /** Header block as received (lines joined by `\n`), lower-cased names untouched. */
  head: string;
  /** Body bytes as received (not de-chunked), as latin1 text. */
  body: string;
}

/**
 * Sends `request` byte for byte over a fresh loopback TCP connection and reads the answer
 * until the server closes it (`Connection: close` must be in the request). Unlike fetch or
 * http.request, nothing is validated or re-encoded: invalid bytes really go out.
 */
export function rawRequest(port: number, request: Buffer | string, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(String(request).slice(0, 200))}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const finish = (): void => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({ status: match ? Number(match[1]) : 0, head: head.replace(/\r\n/g, '\n'), body: split === -1 ? '' : text.slice(split + 4) });
    };
    socket.on('end', finish);
    // A reset after (part of) an answer still tells us the status.
    socket.on('error', finish);
    socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
  });
}

/** Headers of a browser opening a page, as raw `Name: value` lines. */
export const BROWSER_HEADER_LINES: readonly string[] = [
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'Sec-Fetch-Dest: document',
  'Sec-Fetch-Mode: navigate',
];

/**
 * Builds a raw GET request. `target` and every header line go out as given (latin1 bytes,
 * or a Buffer for arbitrary bytes); browser headers come first unless `bare` is set.
 */
export function buildRequest(target: Buffer | string, headerLines: ReadonlyArray<Buffer | string> = [], options: { method?: string; bare?: boolean } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from(`${options.method ?? 'GET'} `, 'latin1'), toBytes(target), Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n', 'latin1')];
  for (const line of options.bare ? [] : BROWSER_HEADER_LINES) parts.push(Buffer.from(`${line}\r\n`, 'latin1'));
  for (const line of headerLines) parts.push(toBytes(line), Buffer.from('\r\n', 'latin1'));
  parts.push(Buffer.from('\r\n', 'latin1'));
  return Buffer.concat(parts);
}

function toBytes(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
}
