import { readCappedBytes } from './read-body.js';

/** Mapp's answers are a GIF or empty; reading at most this much lets the connection be reused. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * What one synchronous send to Mapp produced. Only Mapp's status (for events) and its
 * `Set-Cookie` headers (filtered later by the cookie allowlist) come back: its body, content
 * type and other headers never reach the browser.
 */
export type ForwardOutcome =
  | { ok: true; status: number; setCookies: string[]; latencyMs: number }
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
 * Sends one pixel request to Mapp and waits for its status, all within `timeout` ms. No
 * browser header is copied: only our cookie allowlist and, for batches, the content type.
 * 5xx, 408 and 429 count as failures (the fallback can retry them); any other status means
 * Mapp has the hit.
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
    const latencyMs = Date.now() - started;
    // The status is Mapp's verdict on the hit; the body is drained (and dropped) only so the
    // connection can be reused, and a body cut short by the timeout changes nothing.
    await readCappedBytes(answer.body, MAX_ANSWER_BYTES);
    if (answer.status >= 500 || answer.status === 408 || answer.status === 429) {
      return { ok: false, reason: 'status', detail: `Mapp answered ${answer.status}` };
    }
    return { ok: true, status: answer.status, setCookies: answer.headers.getSetCookie(), latencyMs };
  } catch (error) {
    if (controller.signal.aborted) return { ok: false, reason: 'timeout', detail: `no answer within ${timeout} ms` };
    return { ok: false, reason: 'network', detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
