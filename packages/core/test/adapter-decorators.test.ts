import { describe, expect, it } from '@jest/globals';
import { createAdapterKit } from '../src/adapter/adapter-kit.js';
import type { RequestState } from '../src/adapter/request-state.js';
import type { Tracker } from '../src/types.js';

type Req = { method: string };

const kit = createAdapterKit({
  namespace: '@mapp-s2s/core-decorator-test',
  mountHint: 'mount it',
  isRequest: (value): value is object => typeof value === 'object' && value !== null && typeof (value as Req).method === 'string',
});

/** A request as `mappTracking()` leaves it: with state, and a cookie that can be taken back. */
function trackedRequest(): { req: Req; state: RequestState; cookieTakenBack: () => boolean } {
  const req: Req = { method: 'GET' };
  let takenBack = false;
  const state: RequestState = {
    tracker: {} as Tracker,
    context: { method: 'GET', url: 'http://shop.test/', headers: {}, cookies: {} },
    started: 0,
    visitReady: Promise.resolve(undefined),
    visit: undefined,
    data: {},
    optedOut: false,
    takeBackCookie: () => {
      takenBack = true;
    },
    reportError: () => undefined,
  };
  kit.states.set(req, state);
  return { req, state, cookieTakenBack: () => takenBack };
}

class Controller {
  index(req: Req): string {
    return `index ${req.method}`;
  }
  onError(_error: unknown, _req: Req, _res: unknown, _next: unknown): string {
    return 'error';
  }
}

describe('createTrackingDecorators', () => {
  it('TrackAs as a TC39 method decorator adds page data and keeps name and arity', () => {
    const decorated = kit.TrackAs({ pageName: 'home' })(Controller.prototype.onError, { kind: 'method', name: 'onError' } as ClassMethodDecoratorContext);
    expect(decorated.name).toBe('onError');
    expect(decorated.length).toBe(4);
    const { req, state } = trackedRequest();
    expect(decorated.call(new Controller(), new Error('x'), req, {}, () => undefined)).toBe('error');
    expect(state.data).toEqual({ page: { name: 'home' } });
  });

  it('NoTracking as a legacy method decorator opts the request out and takes the cookie back', () => {
    const descriptor = Object.getOwnPropertyDescriptor(Controller.prototype, 'index')!;
    const result = kit.NoTracking()(Controller.prototype, 'index', descriptor);
    const { req, state, cookieTakenBack } = trackedRequest();
    expect((result.value as Controller['index']).call(new Controller(), req)).toBe('index GET');
    expect(state.optedOut).toBe(true);
    expect(cookieTakenBack()).toBe(true);
  });

  it('NoTracking on a class (TC39 and legacy) wraps every method, and marks a request not yet tracked', () => {
    class Tc39 extends Controller {
      other(req: Req): string {
        return req.method;
      }
    }
    class Legacy {
      show(req: Req): string {
        return req.method;
      }
    }
    kit.NoTracking()(Tc39, { kind: 'class', name: 'Tc39' } as ClassDecoratorContext<typeof Tc39>);
    kit.NoTracking()(Legacy);
    const early: Req = { method: 'GET' };
    new Tc39().other(early);
    expect(kit.states.isMarkedOptedOut(early)).toBe(true);
    const { req, state } = trackedRequest();
    new Legacy().show(req);
    expect(state.optedOut).toBe(true);
  });

  it('leaves calls without a request alone', () => {
    const decorated = kit.TrackAs({ pageName: 'x' })((value: number) => value * 2, { kind: 'method', name: 'double' } as ClassMethodDecoratorContext);
    expect(decorated(21)).toBe(42);
  });

  it('refuses what it cannot decorate', () => {
    expect(() => kit.NoTracking()(() => undefined, { kind: 'field', name: 'x' } as unknown as ClassMethodDecoratorContext)).toThrow('@NoTracking() decorates a class or a method, not a field.');
    expect(() => (kit.TrackAs({}) as unknown as (target: object, key: string, descriptor: PropertyDescriptor) => void)({}, 'x', { value: 1 })).toThrow('@TrackAs() decorates a class or a method.');
  });
});
