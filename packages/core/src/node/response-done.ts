import type { ServerResponse } from 'node:http';

/**
 * Calls `callback` once when the response is done: `finish` (fully handed to the OS) or
 * `close` (also fired on client abort, then `writableFinished` is false). Attach it
 * synchronously, before anything awaits, so a fast response cannot slip past it.
 * @internal
 */
export function onResponseDone(res: ServerResponse, callback: () => void): void {
  let called = false;
  const done = (): void => {
    if (called) return;
    called = true;
    callback();
  };
  // `on`, not `once`: no wrapper per listener, and nothing to remove; the response object
  // and its listeners are garbage together once the request is over.
  res.on('finish', done);
  res.on('close', done);
}
