import { describe, expect, it } from '@jest/globals';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import type { ConsentLevel, RequestContext, TrackerOptions, TrackResult } from '../src/types.js';
import { context, parseLine, TRACK_ID } from './helpers.js';

const EID = '2138210064900146323';

async function run(ctx: RequestContext, options: TrackerOptions = {}) {
  const memory = createMemoryTransport();
  const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory, ...options });
  const visit = await tracker.begin(ctx);
  const result: TrackResult = await tracker.end(ctx, visit);
  return { visit, result, line: memory.lines[0] };
}

describe('opt-out and privacy signals (docs/protocol.md §7)', () => {
  it.each<[string, Partial<RequestContext> & { headers?: Record<string, string> }, TrackerOptions, 'full' | 'anonymous' | 'none', string | undefined]>([
    ['no signal: full', {}, {}, 'full', undefined],
    ['webtrekkOptOut: no hit', { cookies: { webtrekkOptOut: '1', wtstp_eid: EID } }, {}, 'none', 'opt-out'],
    ['a custom opt-out cookie', { cookies: { noTrack: 'x' } }, { optOutCookie: 'noTrack' }, 'none', 'opt-out'],
    ['miCookieOptOut: anonymous', { cookies: { miCookieOptOut: '1', wtstp_eid: EID } }, {}, 'anonymous', undefined],
    ['miCookieOptOut with any value (presence counts)', { cookies: { miCookieOptOut: '' } }, {}, 'anonymous', undefined],
    ['Sec-GPC: 1 → anonymous by default', { headers: { 'sec-gpc': '1' } }, {}, 'anonymous', undefined],
    ['DNT: 1 → anonymous by default', { headers: { dnt: '1' } }, {}, 'anonymous', undefined],
    ['DNT: 0 is no signal', { headers: { dnt: '0' } }, {}, 'full', undefined],
    ["privacySignals 'skip'", { headers: { 'sec-gpc': '1' } }, { privacySignals: 'skip' }, 'none', 'privacy-signal'],
    ["privacySignals 'ignore'", { headers: { dnt: '1' } }, { privacySignals: 'ignore' }, 'full', undefined],
    ['opt-out beats anonymous', { cookies: { webtrekkOptOut: '1', miCookieOptOut: '1' } }, {}, 'none', 'opt-out'],
    ['consent() overrides the opt-out cookie', { cookies: { webtrekkOptOut: '1' } }, { consent: () => 'full' as const }, 'full', undefined],
    ['consent() overrides GPC', { headers: { 'sec-gpc': '1' } }, { consent: async () => 'full' as const }, 'full', undefined],
    ["consent() 'anonymous'", {}, { consent: () => 'anonymous' as const }, 'anonymous', undefined],
    ["consent() 'none'", {}, { consent: async () => 'none' as const }, 'none', 'consent'],
    ['a throwing consent() means none', {}, { consent: () => { throw new Error('x'); } }, 'none', 'consent'],
    ['a rejecting consent() means none', {}, { consent: () => Promise.reject(new Error('x')) }, 'none', 'consent'],
    ['an unexpected consent() value means none', {}, { consent: () => 'yes' as ConsentLevel }, 'none', 'consent'],
  ])('%s', async (_label, overrides, options, level, reason) => {
    const { visit, result, line } = await run(context(overrides), options);
    expect(visit.consent).toBe(level);
    if (level === 'none') {
      expect(result).toEqual({ ok: false, status: 'skipped', reason });
      expect(line).toBeUndefined();
      expect(visit.setCookie).toBeUndefined();
    } else {
      const { params } = parseLine(line ?? '');
      if (level === 'anonymous') {
        expect(params.get('nc')).toBe('1');
        expect(params.has('eid')).toBe(false);
        expect(params.has('ceid')).toBe(false);
        expect(visit.setCookie).toBeUndefined();
        expect(visit.eid).toBeUndefined();
      } else {
        expect(params.has('nc')).toBe(false);
        expect(params.get('eid')).toMatch(/^\d{19}$/);
      }
    }
  });

  it('backend events honour the opt-out cookie of their request', async () => {
    const memory = createMemoryTransport();
    const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory });
    const result = await tracker.track({ action: { name: 'x' } }, { context: context({ method: 'POST', cookies: { webtrekkOptOut: '1' } }) });
    expect(result).toEqual({ ok: false, status: 'skipped', reason: 'opt-out' });
    const anonymous = await tracker.track({ action: { name: 'x' } }, { context: context({ method: 'POST', cookies: { miCookieOptOut: '1', wtstp_eid: EID } }) });
    expect(anonymous.ok).toBe(true);
    expect(parseLine(memory.lines[0] ?? '').params.get('nc')).toBe('1');
  });
});
