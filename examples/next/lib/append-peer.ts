import http from 'node:http';
import type { IncomingMessage } from 'node:http';

const PATCHED = Symbol.for('example-next-shop.append-peer');

/** Appends each request's socket address to `X-Forwarded-For`, as a reverse proxy would (see instrumentation.ts). */
export function appendPeerToForwardedFor(): void {
  const proto = http.Server.prototype as http.Server & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  const emit = proto.emit;
  proto.emit = function emitWithPeer(this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request') {
      const request = args[0] as IncomingMessage;
      const peer = request.socket?.remoteAddress;
      if (peer) {
        const earlier = request.headers['x-forwarded-for'];
        request.headers['x-forwarded-for'] = earlier ? `${earlier}, ${peer}` : peer;
      }
    }
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as typeof proto.emit;
}
