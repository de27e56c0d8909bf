import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';
import { createDirectTransport, DIRECT_MAX_IN_FLIGHT, DIRECT_MAX_WAITING } from '../src/transport/direct.js';
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

  it('a burst past its requests in flight goes out in POSTs of the waiting hits: every hit delivered, none timed out', async () => {
    collector.setFaults({ latencyMs: 100 });
    const { transport, events } = direct();
    const outcomes = await Promise.all(Array.from({ length: 2000 }, (_, i) => transport.send(hit(i % 50, i))));
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(2000);
    const hits = collector.hits();
    expect(new Set(hits.map((stored) => stored.raw)).size).toBe(2000);
    const gets = hits.filter((stored) => stored.via === 'wt').length;
    expect(gets).toBe(DIRECT_MAX_IN_FLIGHT); // the first ones, at once; the rest waited and went in POSTs
    expect(hits.filter((stored) => stored.via === 'batch')).toHaveLength(2000 - DIRECT_MAX_IN_FLIGHT);
    expect(events.filter((event) => event.type === 'dropped')).toEqual([]);
    expect(transport.stats?.()).toMatchObject({ sent: 2000, queueDepth: 0, inFlight: 0 });
    await transport.close();
  });

  it('a waiting line over 7 KB (a pixel hit) still travels alone as a GET', async () => {
    collector.setFaults({ latencyMs: 100 });
    const { transport } = direct();
    const long = `wt?p=600,long,,,,,1730181123123,0,,&cp1=${'x'.repeat(9000)}`;
    const lines = [...Array.from({ length: DIRECT_MAX_IN_FLIGHT + 3 }, (_, i) => hit(1, i)), { ...hit(1, 99), line: long }, hit(1, 100), hit(1, 101)];
    const outcomes = await Promise.all(lines.map((line) => transport.send(line)));
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    const stored = collector.hits();
    expect(stored.find((one) => one.raw === long)?.via).toBe('wt');
    expect(stored).toHaveLength(lines.length);
    await transport.close();
  });

  it(`refuses a hit once ${DIRECT_MAX_WAITING} wait, as queue-full (counted, emitted), and close() reports the rest`, async () => {
    collector.setFaults({ latencyMs: 1500 });
    const { transport, events } = direct(5000);
    const outcomes = Array.from({ length: DIRECT_MAX_IN_FLIGHT + DIRECT_MAX_WAITING + 1 }, (_, i) => transport.send(hit(i % 1000, i)));
    expect(await outcomes[outcomes.length - 1]).toMatchObject({ ok: false, status: 'dropped', reason: 'queue-full' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'dropped', reason: 'queue-full', lines: 1 }));
    expect(transport.stats?.()).toMatchObject({ queueDepth: DIRECT_MAX_WAITING, inFlight: DIRECT_MAX_IN_FLIGHT, dropped: { 'queue-full': 1 } });
    await transport.close({ timeout: 10 });
    const settled = await Promise.all(outcomes);
    expect(settled.filter((outcome) => !outcome.ok && outcome.status === 'dropped' && outcome.reason === 'closed')).toHaveLength(DIRECT_MAX_IN_FLIGHT + DIRECT_MAX_WAITING);
    expect(transport.stats?.()).toMatchObject({ queueDepth: 0, inFlight: 0, dropped: { 'queue-full': 1, closed: DIRECT_MAX_IN_FLIGHT + DIRECT_MAX_WAITING } });
  });

  it('close() cuts requests still running at the timeout and reports them closed', async () => {
    collector.setFaults({ latencyMs: 2000 });
    const { transport } = direct(5000);
    const pending = transport.send(hit(1, 1));
    await transport.close({ timeout: 20 });
    expect(await pending).toMatchObject({ ok: false, status: 'dropped', reason: 'closed' });
  });
});
