import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createDirectTransport } from '../src/transport/direct.js';
import { hit, hitLine, recordingContext, TRACK_ID } from './fixtures/transport-context.js';

let collector: Collector;

beforeEach(async () => {
  collector = await startCollector({ inspector: false, trackIds: [TRACK_ID] });
});

afterEach(async () => {
  await collector.close();
});

function direct(timeout?: number, trackId = TRACK_ID) {
  const recording = recordingContext(collector.url, trackId);
  return { transport: createDirectTransport(timeout === undefined ? {} : { timeout })(recording.context), ...recording };
}

describe('direct transport', () => {
  it('sends one GET /<trackId>/wt per hit and resolves sent once Mapp answered', async () => {
    const { transport, events } = direct();
    const outcome = await transport.send(hit(1, 1));
    expect(outcome).toEqual({ ok: true, status: 'sent' });
    const [stored] = collector.hits();
    expect(stored).toMatchObject({ via: 'wt', trackId: TRACK_ID, raw: hitLine(1, 1), problems: [] });
    expect(events).toEqual([expect.objectContaining({ type: 'sent', lines: 1, status: 200 })]);
    expect(transport.stats?.()).toMatchObject({ sent: 1, inFlight: 0 });
    await transport.close();
  });

  it('drops with reason rejected on 404 (unknown track id)', async () => {
    const { transport } = direct(undefined, '999999999999999');
    expect(await transport.send(hit(1, 1))).toEqual({ ok: false, status: 'dropped', reason: 'rejected', detail: 'HTTP 404' });
    expect(transport.stats?.().dropped).toEqual({ rejected: 1 });
  });

  it('fails (no retry) on 5xx, timeouts and connection resets', async () => {
    const { transport, count } = direct(80);
    collector.setFaults({ status: 500 });
    const server = await transport.send(hit(1, 1));
    collector.setFaults({ latencyMs: 400 });
    const slow = await transport.send(hit(1, 2));
    collector.setFaults({ dropRate: 1 });
    const reset = await transport.send(hit(1, 3));
    expect(server).toMatchObject({ ok: false, status: 'failed' });
    expect(slow).toMatchObject({ ok: false, status: 'failed' });
    expect(reset).toMatchObject({ ok: false, status: 'failed' });
    if (!slow.ok && slow.status === 'failed') expect(slow.error.message).toMatch(/timeout after 80 ms/);
    if (!server.ok && server.status === 'failed') expect(server.error.message).toMatch(/HTTP 500/);
    expect(count('dropped')).toBe(3);
    expect(collector.requestCount()).toBe(3);
  });

  it('defaults to a 2 s timeout', async () => {
    collector.setFaults({ latencyMs: 3000 });
    const { transport } = direct();
    const outcome = await transport.send(hit(1, 1));
    expect(outcome.ok || outcome.status !== 'failed' ? '' : outcome.error.message).toMatch(/timeout after 2000 ms/);
  });

  it('close() waits for requests in flight, then refuses new hits', async () => {
    collector.setFaults({ latencyMs: 50 });
    const { transport } = direct();
    const pending = [transport.send(hit(1, 1)), transport.send(hit(2, 2))];
    await transport.close({ timeout: 5000 });
    expect(collector.hits()).toHaveLength(2);
    expect(await Promise.all(pending)).toEqual([
      { ok: true, status: 'sent' },
      { ok: true, status: 'sent' },
    ]);
    expect(await transport.send(hit(1, 3))).toMatchObject({ ok: false, status: 'dropped', reason: 'closed' });
  });

  it('close() cuts requests still running at the timeout and reports them closed', async () => {
    collector.setFaults({ latencyMs: 2000 });
    const { transport } = direct(5000);
    const pending = transport.send(hit(1, 1));
    await transport.close({ timeout: 20 });
    expect(await pending).toMatchObject({ ok: false, status: 'dropped', reason: 'closed' });
  });
});
