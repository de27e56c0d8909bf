import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { createAdapterKit } from '../src/adapter/adapter-kit.js';
import type { AdapterTrackingOptions } from '../src/adapter/adapter-options.js';
import { createRequestTracking, type ResponseCookies } from '../src/adapter/request-tracking.js';
import { InvalidOptionError } from '../src/errors.js';
import { createTracker } from '../src/tracker.js';
import { createMemoryTransport } from '../src/transport/memory.js';
import type { Logger, Tracker, TransportFactory } from '../src/types.js';
import { context, parseLine, TRACK_ID } from './helpers.js';

type FakeRequest = { method: string; ctx?: true };

function recordingLogger(): Logger & { warnings: string[]; errors: unknown[][] } {
  const warnings: string[] = [];
  const errors: unknown[][] = [];
  return { warnings, errors, debug: () => undefined, warn: (message: string) => void warnings.push(message), error: (...args: unknown[]) => void errors.push(args) };
}

/** A response's Set-Cookie header as a list, like a Node response keeps it. */
function cookieJar(initial: string[] = []): ResponseCookies & { values: string[]; sent: boolean } {
  const jar = {
    values: [...initial],
    sent: false,
    append: (value: string) => {
      if (jar.sent) return false;
      jar.values.push(value);
      return true;
    },
    remove: (value: string) => {
      if (!jar.sent) jar.values = jar.values.filter((cookie) => cookie !== value);
    },
  };
  return jar;
}

const kit = createAdapterKit({
  namespace: '@mapp-s2s/core-test',
  mountHint: 'mount it first',
  isRequest: (value): value is object => typeof value === 'object' && value !== null && 'method' in value,
});

function setup(options: AdapterTrackingOptions<FakeRequest> = {}) {
  const memory = createMemoryTransport();
  const logger = recordingLogger();
  const tracking = createRequestTracking<FakeRequest>(
    { trackId: TRACK_ID, trackDomain: 'track.example.com', transport: memory, logger, ...options },
    { states: kit.states, env: {}, createTracker, frameworkTrustWarning: (setting) => (setting === true ? 'the framework trusts every hop' : undefined) },
  );
  return { memory, logger, tracking };
}

async function startRequest(tracking: ReturnType<typeof setup>['tracking'], request: FakeRequest = { method: 'GET' }, jar = cookieJar()) {
  const { state, ready } = tracking.start(request, context({ status: undefined, contentType: undefined }), false, jar);
  await ready;
  return { request, state, jar };
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe('createRequestTracking', () => {
  it('sends one page view with the status and content type known at the end', async () => {
    const { memory, tracking } = setup({ trustProxy: false });
    const { state } = await startRequest(tracking);
    tracking.finish(state, () => ({ status: 201, contentType: 'text/html' }), undefined);
    const [hit] = await memory.waitForHits(1);
    expect(parseLine(hit!.line).params.get('X-WT-IP')).toBe('203.0.113.9');
  });

  it('sends nothing when the response says there is no page, and reports a failing read instead of throwing', async () => {
    const failures: string[] = [];
    const { memory, tracking } = setup({ trustProxy: false, onError: (error) => void failures.push(error.message) });
    const aborted = await startRequest(tracking);
    tracking.finish(aborted.state, () => undefined, undefined);
    const broken = await startRequest(tracking);
    expect(() =>
      tracking.finish(
        broken.state,
        () => {
          throw new Error('headers unreadable');
        },
        undefined,
      ),
    ).not.toThrow();
    expect(failures).toEqual(['headers unreadable']);
    const result = await kit.trackEvent(broken.request, { action: { name: 'marker' } });
    expect(result.ok).toBe(true);
    expect(memory.lines.map((line) => parseLine(line).params.get('ct'))).toEqual(['marker']);
  });

  it('adds the visitor cookie next to the cookies already on the response', async () => {
    const { tracking } = setup({ trustProxy: false });
    const { jar } = await startRequest(tracking, { method: 'GET' }, cookieJar(['session=1']));
    expect(jar.values).toHaveLength(2);
    expect(jar.values[0]).toBe('session=1');
    expect(jar.values[1]).toMatch(/^wtstp_eid=/);
  });

  it('sets no cookie once headers are sent', async () => {
    const { tracking } = setup({ trustProxy: false });
    const jar = cookieJar();
    jar.sent = true;
    await startRequest(tracking, { method: 'GET' }, jar);
    expect(jar.values).toEqual([]);
  });

  it('drops the hit and takes the fresh cookie back when the request opts out', async () => {
    const { memory, tracking } = setup({ trustProxy: false });
    const { request, state, jar } = await startRequest(tracking);
    kit.optOut(request);
    expect(jar.values).toEqual([]);
    tracking.finish(state, () => ({ status: 200, contentType: 'text/html' }), undefined);
    const result = await kit.trackEvent(request, { action: { name: 'after-opt-out' } });
    expect(result.ok).toBe(true);
    expect(memory.lines).toHaveLength(1);
    expect(parseLine(memory.lines[0]!).params.get('ct')).toBe('after-opt-out');
  });

  it('skips a request marked opted out before it started, and warns once about a second mount', () => {
    const { logger, tracking } = setup({ trustProxy: false });
    const marked: FakeRequest = { method: 'GET' };
    kit.optOut(marked);
    expect(tracking.shouldTrack(marked)).toBe(false);
    const fresh: FakeRequest = { method: 'GET' };
    expect(tracking.shouldTrack(fresh)).toBe(true);
    tracking.start(fresh, context(), false, cookieJar());
    expect(tracking.shouldTrack(fresh)).toBe(false);
    expect(tracking.shouldTrack(fresh)).toBe(false);
    expect(logger.warnings.filter((warning) => warning.includes('runs twice'))).toHaveLength(1);
  });

  it('merges trackPage data into the page view', async () => {
    const { memory, tracking } = setup({ trustProxy: false });
    const { request, state } = await startRequest(tracking);
    kit.trackPage(request, { pageName: 'checkout' });
    kit.trackPage(request, { page: { parameters: { 1: 'x' } } });
    tracking.finish(state, () => ({ status: 200, contentType: 'text/html' }), undefined);
    const [hit] = await memory.waitForHits(1);
    const line = parseLine(hit!.line);
    expect(line.p[1]).toBe('checkout');
    expect(line.params.get('cp1')).toBe('x');
  });

  it('warns once and reports a failure when the helpers run for a request it never saw', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const local = createAdapterKit({ namespace: '@mapp-s2s/core-test-unmounted', mountHint: 'app.use(mappTracking()) first', isRequest: (v): v is object => false });
    local.trackPage({}, { pageName: 'x' });
    const result = await local.trackEvent({}, { action: { name: 'x' } });
    expect(result.ok).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('app.use(mappTracking()) first');
  });

  it('sends failures to onError with the request, and dropped hits without one', async () => {
    const failures: Array<[string, FakeRequest | undefined]> = [];
    // A transport that refuses every hit, reporting it the way real transports do: as an event.
    const refusing: TransportFactory = ({ emit }) => ({
      name: 'refusing',
      send: async () => {
        emit({ type: 'dropped', lines: 1, reason: 'rejected', detail: '404' });
        return { ok: false, status: 'dropped', reason: 'rejected', detail: '404' };
      },
      flush: async () => undefined,
      close: async () => undefined,
    });
    const { tracking } = setup({ trustProxy: false, transport: refusing, onError: (error, request) => void failures.push([error.message, request]) });
    const { request } = await startRequest(tracking);
    tracking.reportError('thrown string', request);
    const result = await kit.trackEvent(request, { action: { name: 'refused' } });
    expect(result.ok).toBe(false);
    expect(failures).toEqual([
      ['thrown string', request],
      ['mapp-s2s: 1 hit dropped (rejected): 404', undefined],
    ]);
  });

  it('logs one warning per distinct failure without onError, and survives a throwing onError', () => {
    const { logger, tracking } = setup({ trustProxy: false });
    tracking.reportError(new Error('down'), undefined);
    tracking.reportError(new Error('down'), undefined);
    expect(logger.warnings.filter((warning) => warning.includes('down'))).toHaveLength(1);
    const throwing = setup({ trustProxy: false, onError: () => { throw new Error('handler broke'); } });
    expect(() => throwing.tracking.reportError(new Error('x'), undefined)).not.toThrow();
    expect(String(throwing.logger.errors[0]?.[0])).toContain('onError threw');
  });

  it('warns at startup, at the first forwarded request and at the framework setting when trustProxy is unset', () => {
    const { logger, tracking } = setup();
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain('trustProxy is not set');
    const forwarded = context({ headers: { 'x-forwarded-for': '198.51.100.1' } });
    for (let i = 0; i < 2; i++) tracking.start({ method: 'GET' }, forwarded, true, cookieJar());
    expect(logger.warnings).toHaveLength(3);
    expect(logger.warnings[1]).toBe('[mapp-s2s] the framework trusts every hop');
    expect(logger.warnings[2]).toContain('carries X-Forwarded-For');
  });

  it('says nothing about proxies when trustProxy comes from the environment', () => {
    const logger = recordingLogger();
    createRequestTracking({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: createMemoryTransport(), logger }, {
      states: kit.states,
      env: { MAPP_TRUST_PROXY: 'loopback' },
      createTracker,
      frameworkTrustWarning: () => 'never',
    });
    expect(logger.warnings).toEqual([]);
  });

  it('uses a shared tracker as given and refuses tracker options next to it', () => {
    const shared: Tracker = createTracker({ trackId: TRACK_ID, trackDomain: 'track.example.com', transport: createMemoryTransport() });
    const settings = { states: kit.states, env: {}, createTracker, frameworkTrustWarning: () => undefined };
    expect(createRequestTracking({ tracker: shared, logger: recordingLogger() }, settings).tracker).toBe(shared);
    expect(() => createRequestTracking({ tracker: shared, trackId: TRACK_ID }, settings)).toThrow(InvalidOptionError);
    expect(() => createRequestTracking({ tracker: shared, trackId: TRACK_ID }, settings)).toThrow(/also got: trackId/);
  });

  it('reports an error from begin and still lets the request go on', async () => {
    const failures: string[] = [];
    const { tracking } = setup({ trustProxy: false, onError: (error) => void failures.push(error.message) });
    jest.spyOn(tracking.tracker, 'begin').mockRejectedValue(new Error('begin failed'));
    const { state } = await startRequest(tracking);
    expect(failures).toEqual(['begin failed']);
    expect(await state.visitReady).toBeUndefined();
    expect(() => tracking.finish(state, () => ({ status: 200, contentType: undefined }), undefined)).not.toThrow();
  });
});
