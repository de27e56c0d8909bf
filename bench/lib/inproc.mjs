/**
 * In-process request driver: runs a Node request handler (Express app, Koa callback) on real
 * `IncomingMessage`/`ServerResponse` objects over a socket that swallows what is written, so
 * the cost of a middleware can be measured without the kernel, the network or a load
 * generator competing for the same cores (bench/request-path.mjs).
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';

/** A socket that accepts every write at once and never has anything to read. */
export function createSinkSocket(remoteAddress = '127.0.0.1') {
  const socket = new Duplex({
    write(_chunk, _encoding, callback) {
      callback();
    },
    writev(_chunks, callback) {
      callback();
    },
    read() {},
  });
  Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
  socket.setTimeout = () => socket;
  socket.setNoDelay = () => socket;
  socket.setKeepAlive = () => socket;
  return socket;
}

/** Runs one GET through `handler` and resolves when the response has finished. */
export function runRequest(handler, socket, url, headers) {
  return new Promise((resolve, reject) => {
    const req = new IncomingMessage(socket);
    req.method = 'GET';
    req.url = url;
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.httpVersion = '1.1';
    req.headers = { ...headers };
    req.rawHeaders = [];
    req.complete = true;
    req.push(null);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = true;
    res.assignSocket(socket);
    // As node:http's server does (resOnFinish): detach, then 'close' on the next tick. Express
    // middleware (ours included) finishes its work on 'close', so it must be part of the request.
    res.on('finish', () => {
      res.detachSocket(socket);
      process.nextTick(() => {
        res.destroyed = true;
        res._closed = true;
        res.emit('close');
        resolve(res.statusCode);
      });
    });
    res.on('error', reject);
    handler(req, res);
  });
}
