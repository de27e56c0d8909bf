import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { encodeValue, toWellFormed } from '../src/encode.js';
import { collectHeaderRecord, collectHeaders } from '../src/headers.js';
import { trackerInternals, type FactsMemo } from '../src/tracker-internals.js';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import type { Logger, RequestContext, SendOutcome, TrackerOptions, Transport, Visit } from '../src/types.js';
import { context } from './helpers.js';

const TRACK_ID = '123451234512345';
const EID = '2138210064900146323';
const silent: Logger = { debug: () => undefined, warn: () => undefined, error: () => undefined };
const FIXED_TIME = 1_730_181_123_123;
const QUEUED: Promise<SendOutcome> = Promise.resolve({ ok: true, status: 'queued' });

function setup(options: TrackerOptions = {}) {
  const memory = createMemoryTransport();
  const tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory, logger: silent, ...options });
  const internals = trackerInternals(tracker);
  if (internals === undefined) throw new Error('createTracker registers its fast path');
  return { memory, tracker, internals };
}

describe('encodeValue fast path', () => {
  it('matches encodeURIComponent for every ASCII character', () => {
    for (let c = 0; c < 128; c++) {
      const text = `a${String.fromCharCode(c)}b`;
      expect(encodeValue(text)).toBe(encodeURIComponent(text));
    }
  });

  it('matches encodeURIComponent(toWellFormed(x)) for any string, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(encodeValue(text)).toBe(encodeURIComponent(toWellFormed(text)));
      }),
      { numRuns: 2000 },
    );
    expect(encodeValue('x\ud800y')).toBe('x%EF%BF%BDy');
    expect(encodeValue('plain-id_1.2~*')).toBe('plain-id_1.2~*');
  });
});

describe('collectHeaderRecord', () => {
  it('gives what collectHeaders gives for the same Node header record', () => {
    const record = { host: 'a.example', 'user-agent': 'UA', cookie: 'a=1', authorization: 'x', ':authority': 'h', empty: '', 'x-n': 5 as unknown as string, 'set-x': ['1', '2'], Upper: 'V' };
    expect(collectHeaderRecord(record)).toEqual(collectHeaders(Object.entries(record)));
  });

  it('ignores keys inherited from a polluted prototype', () => {
    const record = Object.create({ injected: 'x' }) as Record<string, string>;
    record['host'] = 'a.example';
    expect(Object.keys(collectHeaderRecord(record).headers)).toEqual(['host']);
  });
});

describe('tracker fast path (beginNow / endQuietly)', () => {
  const cases: Array<[string, Partial<RequestContext> & { headers?: Record<string, string> }]> = [
    ['returning visitor', { cookies: { wtstp_eid: EID } }],
    ['new visitor', {}],
    ['anonymous cookie', { cookies: { mapp_anonymous: '1' } }],
    ['bot', { headers: { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' } }],
    ['asset', { url: 'https://shop.example.com/app.js' }],
    ['error page', { status: 500 }],
  ];

  it.each(cases)('decides and sends exactly like begin() + end(): %s', async (_name, overrides) => {
    const slow = setup();
    const fast = setup();
    const ctx = context(overrides);
    const visit = await slow.tracker.begin(ctx);
    const memo: FactsMemo = { facts: undefined };
    const now = fast.internals.beginNow(ctx, memo);
    expect(now).not.toBeInstanceOf(Promise);
    const fastVisit = now as Visit;
    // Only a new visitor's minted eid (and its cookie) differ between two calls.
    if (visit.isNewVisitor) {
      expect(fastVisit.isNewVisitor).toBe(true);
      fastVisit.eid = visit.eid;
      fastVisit.setCookie = visit.setCookie;
    }
    expect(fastVisit).toEqual(visit);
    const data = { time: FIXED_TIME, page: { parameters: { 1: 'x y' } } };
    const result = await slow.tracker.end(ctx, visit, data);
    fast.internals.endQuietly(ctx, fastVisit, data, memo);
    expect(fast.memory.lines).toEqual(slow.memory.lines);
    expect(fast.memory.lines.length).toBe(result.ok ? 1 : 0);
  });

  it('hands every page view to the transport and leaves no rejection unhandled, whether send() answers with one shared promise or a new one per hit', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const shared: Promise<SendOutcome> = Promise.reject(new Error('shared refusal'));
      shared.catch(() => undefined); // (so that only the tracker's own handling is under test below)
      for (const answer of ['shared', 'fresh', 'queued'] as const) {
        const lines: string[] = [];
        const transport = (): Transport => ({
          name: answer,
          send(hit) {
            lines.push(hit.line);
            if (answer === 'shared') return shared;
            if (answer === 'fresh') return Promise.reject(new Error('fresh refusal'));
            return QUEUED;
          },
          flush: async () => undefined,
          close: async () => undefined,
        });
        const { internals } = setup({ transport });
        for (let i = 0; i < 3; i++) {
          const ctx = context({ cookies: { wtstp_eid: EID } });
          internals.endQuietly(ctx, internals.beginNow(ctx) as Visit, undefined);
        }
        expect(lines).toHaveLength(3);
      }
      // Rejections are reported after a macrotask at the latest.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('returns a promise only when consent or skip answer asynchronously', async () => {
    const asyncConsent = setup({ consent: async () => 'anonymous' as const });
    const pending = asyncConsent.internals.beginNow(context());
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toMatchObject({ consent: 'anonymous', trackable: true });
    const asyncSkip = setup({ skip: async () => true });
    expect(await asyncSkip.internals.beginNow(context())).toMatchObject({ trackable: false, skipReason: 'skip' });
    const syncSkip = setup({ skip: () => true });
    expect(syncSkip.internals.beginNow(context())).toMatchObject({ trackable: false, skipReason: 'skip' });
  });

  it('never throws: a throwing consent or skip decides like begin()', async () => {
    const events: string[] = [];
    const throwing = setup({
      consent: () => {
        throw new Error('consent broke');
      },
      onEvent: (event) => void (event.type === 'error' && events.push(event.error.message)),
    });
    expect(throwing.internals.beginNow(context())).toMatchObject({ consent: 'none', skipReason: 'consent' });
    const skipThrows = setup({
      skip: () => {
        throw new Error('skip broke');
      },
      onEvent: (event) => void (event.type === 'error' && events.push(event.error.message)),
    });
    expect(skipThrows.internals.beginNow(context())).toMatchObject({ trackable: false, skipReason: 'skip' });
    expect(events).toEqual(['consent broke', 'skip broke']);
  });
});

describe('tracker internals across bundles', () => {
  it('are found by another copy of the module (the package ships two separately bundled entries)', () => {
    const { tracker } = setup();
    let foreign: typeof trackerInternals | undefined;
    jest.isolateModules(() => {
      foreign = (jest.requireActual('../src/tracker-internals.js') as { trackerInternals: typeof trackerInternals }).trackerInternals;
    });
    expect(foreign).toBeDefined();
    expect(foreign).not.toBe(trackerInternals);
    expect(foreign?.(tracker)).toBe(trackerInternals(tracker));
    // Invisible to enumeration: the tracker still looks like the contract.
    expect(Object.keys(tracker)).not.toContain('beginNow');
    expect(Object.getOwnPropertySymbols(tracker).every((symbol) => !Object.prototype.propertyIsEnumerable.call(tracker, symbol))).toBe(true);
  });
});
