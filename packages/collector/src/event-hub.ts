import type { ServerResponse } from 'node:http';
import type { StoredHit } from './types.js';

/** Default of `maxStreamBufferBytes`: 16 MiB unread by one live-stream client. */
export const DEFAULT_STREAM_BUFFER_BYTES = 16 * 1024 * 1024;

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

  /** Number of open SSE streams. */
  streamCount(): number {
    return this.streams.size;
  }

  /** Streams cut off so far because their client did not read. */
  cutOffCount(): number {
    return this.cutOffs;
  }

  /** Turns `res` into an SSE stream; `backlog` hits are sent first (e.g. after Last-Event-ID). */
  addStream(res: ServerResponse, backlog: readonly StoredHit[] = []): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 1000\n: connected\n\n${backlog.map(hitEvent).join('')}`);
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
    if (this.heartbeat === undefined) {
      // Comments keep proxies and idle-timeouts from closing a quiet stream.
      this.heartbeat = setInterval(() => this.broadcast(': ping\n\n'), 15_000);
      this.heartbeat.unref();
    }
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
    this.broadcast('event: clear\ndata: {}\n\n');
  }

  /** Ends every stream and stops the heartbeat. */
  close(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const res of this.streams) res.end();
    this.streams.clear();
    this.listeners.clear();
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

function hitEvent(hit: StoredHit): string {
  return `id: ${hit.id}\nevent: hit\ndata: ${JSON.stringify(hit)}\n\n`;
}
