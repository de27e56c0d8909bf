import { readCappedBytes } from './read-body.js';

/** Mapp's answers are a GIF or empty; anything bigger is not relayed. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** Answer headers relayed to the browser, besides the filtered `Set-Cookie`. */
const RELAYED_HEADERS = ['content-type', 'cache-control', 'pragma', 'expires'];

/** What one synchronous send to Mapp produced. */
export type ForwardOutcome =
  | { ok: true; status: number; body: Uint8Array<ArrayBuffer>; headers: Array<[string, string]>; setCookies: string[]; latencyMs: number }
  | { ok: false; reason: 'timeout' | 'network' | 'status'; detail: string };

/** One request to Mapp, built only from validated parts (origin from config, checked track ids). */
export interface ForwardRequest {
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  /** Allowlisted Mapp cookies, already filtered. */
  cookie?: string | undefined;
}

/**
 * Sends one pixel request to Mapp and reads the answer, all within `timeout` ms. No browser
 * header is copied: only our cookie allowlist and, for batches, the content type.
 * 5xx, 408 and 429 count as failures (the fallback can retry them); other statuses are relayed.
 */
export async function forwardToMapp(request: ForwardRequest, fetchImpl: typeof fetch, timeout: number): Promise<ForwardOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  const started = Date.now();
  try {
    const headers: Record<string, string> = {};
    if (request.cookie !== undefined) headers.cookie = request.cookie;
    if (request.method === 'POST') headers['content-type'] = 'text/plain; charset=utf-8';
    const init: RequestInit = { method: request.method, headers, redirect: 'manual', signal: controller.signal };
    if (request.body !== undefined) init.body = request.body;
    const answer = await fetchImpl(request.url, init);
    const read = await readCappedBytes(answer.body, MAX_ANSWER_BYTES);
    if (controller.signal.aborted) return { ok: false, reason: 'timeout', detail: `no answer within ${timeout} ms` };
    if (answer.status >= 500 || answer.status === 408 || answer.status === 429) {
      return { ok: false, reason: 'status', detail: `Mapp answered ${answer.status}` };
    }
    if (!read.ok) return { ok: false, reason: 'network', detail: `answer ${read.reason}` };
    const relayed: Array<[string, string]> = [];
    for (const name of RELAYED_HEADERS) {
      const value = answer.headers.get(name);
      if (value !== null) relayed.push([name, value]);
    }
    return {
      ok: true,
      status: answer.status,
      body: read.bytes,
      headers: relayed,
      setCookies: answer.headers.getSetCookie(),
      latencyMs: Date.now() - started,
    };
  } catch (error) {
    if (controller.signal.aborted) return { ok: false, reason: 'timeout', detail: `no answer within ${timeout} ms` };
    return { ok: false, reason: 'network', detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
