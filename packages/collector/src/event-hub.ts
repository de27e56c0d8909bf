import type { ServerResponse } from 'node:http';
import type { StoredHit } from './types.js';

/** Default of `maxStreamBufferBytes`: 16 MiB unread by one live-stream client. */
export const DEFAULT_STREAM_BUFFER_BYTES = 16 * 1024 * 1024;

/** Hits replayed per write of a resumed stream; the next page is read once the client took this one. */
export const REPLAY_PAGE_HITS = 200;

/**
 * How a new stream starts (see {@link EventHub.addStream}):
 * - `live`: only hits stored from now on;
 * - `replay`: first every stored hit with an id above `afterId`, oldest first, read page by page
 *   from `page` as the client takes them (`clear` first when the client's hits are gone);
 * - `reload`: an `event: reload` (data `{ "missed": n, "replayLimit": n }`) telling the client to
 *   reload its list instead, with `id:` the newest stored hit so that its next reconnect resumes
 *   from there; then live.
 */
export type StreamStart =
  | { kind: 'live' }
  | { kind: 'replay'; afterId: number; clearFirst: boolean; page: (afterId: number, limit: number) => readonly StoredHit[] }
  | { kind: 'reload'; newestId: number; missed: number; replayLimit: number };

/** What the hub tells about a live-stream client it cut off. */
export interface StreamCutOff {
  /** `address:port` of the client. */
  peer: string;
  /** Bytes it had not read. */
  unread: number;
  limit: number;
}

/**
 * Fan-out of stored hits to in-process listeners and Server-Sent Events streams. A failing
 * listener or a dead stream never affects storing or other subscribers, and a stream whose
 * client stops reading is cut off before its buffer holds more than about
 * `maxStreamBufferBytes`: Node keeps every unread byte in memory, and one paused client
 * would otherwise grow the collector without limit.
 */
export class EventHub {
  private readonly listeners = new Set<(hit: StoredHit) => void>();
  private readonly streams = new Set<ServerResponse>();
  /** Streams still replaying missed hits: they join `streams` once they caught up. */
  private readonly replaying = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;
  private cutOffs = 0;

  /**
   * @param maxStreamBufferBytes unread bytes a stream may hold when the next publish starts.
   * @param onCutOff told about every stream cut off (the collector logs it).
   */
  constructor(
    private readonly maxStreamBufferBytes = DEFAULT_STREAM_BUFFER_BYTES,
    private readonly onCutOff: (cut: StreamCutOff) => void = () => undefined,
  ) {}

  /** Subscribes to stored hits; returns the unsubscribe function. */
  onHit(listener: (hit: StoredHit) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Number of open SSE streams (replaying ones included). */
  streamCount(): number {
    return this.streams.size + this.replaying.size;
  }

  /** Streams cut off so far because their client did not read. */
  cutOffCount(): number {
    return this.cutOffs;
  }

  /**
   * Turns `res` into an SSE stream that starts as `start` says (e.g. replaying the hits after
   * a reconnecting client's Last-Event-ID). A replay is written a page at a time, each once the
   * client has taken the previous one, so a long backlog never piles up in memory; hits stored
   * meanwhile come in later pages, so the client gets every hit once, in id order.
   */
  addStream(res: ServerResponse, start: StreamStart = { kind: 'live' }): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n: connected\n\n');
    res.on('close', () => {
      this.streams.delete(res);
      this.replaying.delete(res);
    });
    if (start.kind === 'replay') {
      this.replaying.add(res);
      if (start.clearFirst) res.write(CLEAR_EVENT);
      void this.replay(res, start.afterId, start.page);
      return;
    }
    if (start.kind === 'reload') {
      res.write(`id: ${start.newestId}\nevent: reload\ndata: ${JSON.stringify({ missed: start.missed, replayLimit: start.replayLimit })}\n\n`);
    }
    this.goLive(res);
  }

  /** Publishes stored hits, in order. */
  publish(hits: readonly StoredHit[]): void {
    for (const hit of hits) {
      for (const listener of this.listeners) {
        try {
          listener(hit);
        } catch {
          // A listener's bug must not stop storing or other listeners.
        }
      }
    }
    // One write per stream and batch: a 10,000-line batch is one chunk, not 10,000.
    if (this.streams.size > 0 && hits.length > 0) this.broadcast(hits.map(hitEvent).join(''));
  }

  /** Tells the streams that all hits were deleted. */
  publishClear(): void {
    // A replaying stream gets it in its place too: what it was sent so far is gone, what it
    // is sent next was stored after the clear.
    for (const res of this.replaying) if (!res.writableEnded && !res.destroyed) res.write(CLEAR_EVENT);
    this.broadcast(CLEAR_EVENT);
  }

  /** Ends every stream and stops the heartbeat. */
  close(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const res of [...this.streams, ...this.replaying]) res.end();
    this.streams.clear();
    this.replaying.clear();
    this.listeners.clear();
  }

  /** Writes the stored hits after `afterId` page by page, waiting for the client to drain each; then goes live. */
  private async replay(res: ServerResponse, afterId: number, page: (afterId: number, limit: number) => readonly StoredHit[]): Promise<void> {
    let last = afterId;
    try {
      for (;;) {
        if (!this.replaying.has(res) || res.writableEnded || res.destroyed) return;
        const hits = page(last, REPLAY_PAGE_HITS);
        if (hits.length === 0) break;
        last = hits[hits.length - 1]!.id;
        if (!res.write(hits.map(hitEvent).join(''))) await drained(res);
      }
    } catch {
      // The store closed under a replay (the collector is closing): end the stream.
      this.replaying.delete(res);
      res.destroy();
      return;
    }
    // Caught up, in the same tick as the last (empty) page: no hit can be stored in between.
    this.replaying.delete(res);
    this.goLive(res);
  }

  private goLive(res: ServerResponse): void {
    this.streams.add(res);
    if (this.heartbeat === undefined) {
      // Comments keep proxies and idle-timeouts from closing a quiet stream.
      this.heartbeat = setInterval(() => this.broadcast(': ping\n\n'), 15_000);
      this.heartbeat.unref();
    }
  }

  private broadcast(chunk: string): void {
    const limit = this.maxStreamBufferBytes;
    for (const res of this.streams) {
      if (res.writableEnded || res.destroyed) {
        this.streams.delete(res);
        continue;
      }
      // A client still holding more than the limit from earlier publishes is not reading: a
      // live one drains between two requests. One burst alone (a whole batch) may pass the
      // limit, up to four times over, so a reading client survives large batches.
      if (res.writableLength > limit) {
        this.cut(res);
        continue;
      }
      res.write(chunk);
      if (res.writableLength > limit * 4) this.cut(res);
    }
  }

  private cut(res: ServerResponse): void {
    const unread = res.writableLength;
    const socket = res.socket;
    const peer = socket ? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` : 'unknown';
    this.streams.delete(res);
    this.cutOffs++;
    // destroy(), not end(): end() would wait for the client to read what is buffered.
    res.destroy();
    try {
      this.onCutOff({ peer, unread, limit: this.maxStreamBufferBytes });
    } catch {
      // A logging failure must not stop the fan-out.
    }
  }
}

const CLEAR_EVENT = 'event: clear\ndata: {}\n\n';

/** Resolves once `res` can take more (`drain`) or is gone (`close`). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function hitEvent(hit: StoredHit): string {
  return `id: ${hit.id}\nevent: hit\ndata: ${JSON.stringify(hit)}\n\n`;
}
