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
    res.removeListener('finish', done);
    res.removeListener('close', done);
    callback();
  };
  res.once('finish', done);
  res.once('close', done);
}
