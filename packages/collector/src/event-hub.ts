import type { ServerResponse } from 'node:http';
import type { StoredHit } from './types.js';

/**
 * Fan-out of stored hits to in-process listeners and Server-Sent Events streams. A failing
 * listener or a dead stream never affects storing or other subscribers.
 */
export class EventHub {
  private readonly listeners = new Set<(hit: StoredHit) => void>();
  private readonly streams = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;

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

  /** Turns `res` into an SSE stream; `backlog` hits are sent first (e.g. after Last-Event-ID). */
  addStream(res: ServerResponse, backlog: readonly StoredHit[] = []): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n: connected\n\n');
    for (const hit of backlog) res.write(hitEvent(hit));
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
      if (this.streams.size > 0) this.broadcast(hitEvent(hit));
    }
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
    for (const res of this.streams) {
      if (res.writableEnded || res.destroyed) this.streams.delete(res);
      else res.write(chunk);
    }
  }
}

function hitEvent(hit: StoredHit): string {
  return `id: ${hit.id}\nevent: hit\ndata: ${JSON.stringify(hit)}\n\n`;
}
