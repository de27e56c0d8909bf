import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isValidHostHeader } from '../request-facts.js';

/** A syntactically valid `Host` value, or a neutral one so a hostile header cannot break the URL. */
function safeHost(value: string | undefined): string {
  return value !== undefined && isValidHostHeader(value) ? value : 'localhost';
}

function toHeaders(source: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || name.startsWith(':')) continue;
    try {
      if (Array.isArray(value)) for (const item of value) headers.append(name, item);
      else headers.set(name, value);
    } catch {
      // A header Node accepted but the Fetch API refuses: the pixel proxy needs none of those.
    }
  }
  return headers;
}

/**
 * The request body as a web stream that pauses Node's stream while the reader is behind
 * (backpressure) and, when the reader stops (the core's body cap), discards the rest instead
 * of destroying the socket, so the 413 answer can still be written.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let onData: ((chunk: Buffer) => void) | undefined;
  let onEnd: (() => void) | undefined;
  let onError: ((error: Error) => void) | undefined;
  const detach = (): void => {
    if (onData !== undefined) req.removeListener('data', onData);
    if (onEnd !== undefined) req.removeListener('end', onEnd);
    if (onError !== undefined) req.removeListener('error', onError);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onData = (chunk) => {
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      };
      onEnd = () => {
        detach();
        controller.close();
      };
      onError = (error) => {
        detach();
        controller.error(error);
      };
      req.on('data', onData);
      req.once('end', onEnd);
      req.once('error', onError);
    },
    pull() {
      req.resume();
    },
    cancel() {
      detach();
      req.resume();
    },
  });
}

/**
 * Converts a Node request into a web `Request` for the pixel proxy's core handler: scheme from
 * the socket, a validated `Host`, every header the Fetch API accepts, and for `POST` the body,
 * taken from `parsedBody` when a body parser already consumed the stream (a string or a
 * Buffer), else streamed. The URL carries no path: the handler reads the raw target instead.
 * @internal
 */
export function toWebRequest(req: IncomingMessage, parsedBody?: unknown): Request {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const method = (req.method ?? 'GET').toUpperCase();
  const init: RequestInit & { duplex?: 'half' } = { method, headers: toHeaders(req.headers) };
  if (method === 'POST') {
    if (typeof parsedBody === 'string') init.body = parsedBody;
    else if (Buffer.isBuffer(parsedBody)) init.body = new Uint8Array(parsedBody);
    else if (!req.readableEnded) {
      init.body = bodyStream(req);
      init.duplex = 'half';
    }
  }
  return new Request(`${encrypted ? 'https' : 'http'}://${safeHost(req.headers.host)}/`, init);
}
