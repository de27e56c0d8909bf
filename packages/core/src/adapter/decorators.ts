import type { PageHitData } from './page-hit-data.js';
import type { PageTracking } from './page-tracking.js';
import type { RequestStateStore } from './request-state.js';

/**
 * A decorator for a controller class or one of its methods. Works as a TC39 standard
 * decorator (TypeScript 5 default) and as a legacy `experimentalDecorators` decorator.
 */
export interface TrackingDecorator {
  <T extends (this: any, ...args: any[]) => any>(value: T, context: ClassMethodDecoratorContext): T;
  <C extends abstract new (...args: any[]) => any>(value: C, context: ClassDecoratorContext<C>): void;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
  <C extends abstract new (...args: any[]) => any>(target: C): void;
}

/** What a decorator does to each call of the decorated handler. */
interface Rule {
  readonly noTracking?: boolean;
  readonly data?: PageHitData;
}

/** `NoTracking()` and `TrackAs()` bound to one adapter. @internal */
export interface TrackingDecorators {
  NoTracking(): TrackingDecorator;
  TrackAs(data: PageHitData): TrackingDecorator;
}

/** What the decorators need from an adapter. @internal */
export interface TrackingDecoratorSettings {
  readonly states: RequestStateStore;
  readonly pageTracking: PageTracking;
  /**
   * Recognises the framework's request among a handler's arguments when `mappTracking()`
   * has not seen it (so `NoTracking` can still leave its marker), e.g. Express's `req`.
   */
  readonly isRequest: (value: unknown) => value is object;
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Builds an adapter's class and method decorators. The decorated handler finds the request
 * among its own arguments on every call: Express passes `(req, res, next)` or, to error
 * handlers, `(err, req, res, next)`; Koa `(ctx, next)`.
 * @internal
 */
export function createTrackingDecorators({ states, pageTracking, isRequest }: TrackingDecoratorSettings): TrackingDecorators {
  function applyRule(args: readonly unknown[], rule: Rule): void {
    const carrier = args.find((arg) => states.get(arg) !== undefined) ?? args.find(isRequest);
    if (typeof carrier !== 'object' || carrier === null) return;
    if (rule.noTracking) states.optOut(carrier);
    if (rule.data !== undefined && states.get(carrier) !== undefined) pageTracking.trackPage(carrier, rule.data);
  }

  function wrapMethod<T extends AnyFunction>(method: T, rule: Rule): T {
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      applyRule(args, rule);
      return method.apply(this, args);
    };
    // Express tells error handlers apart by their arity, and routers may look at it: keep it.
    Object.defineProperty(wrapped, 'length', { value: method.length });
    Object.defineProperty(wrapped, 'name', { value: method.name });
    return wrapped as T;
  }

  function wrapClass(target: abstract new (...args: never[]) => unknown, rule: Rule): void {
    const prototype = target.prototype as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(prototype)) {
      if (key === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
      if (descriptor === undefined || typeof descriptor.value !== 'function' || !descriptor.writable) continue;
      Object.defineProperty(prototype, key, { ...descriptor, value: wrapMethod(descriptor.value as AnyFunction, rule) });
    }
  }

  function createDecorator(name: string, rule: Rule): TrackingDecorator {
    function decorator(target: unknown, context?: unknown, descriptor?: PropertyDescriptor): unknown {
      if (typeof context === 'object' && context !== null && 'kind' in context) {
        const kind = (context as { kind: string }).kind;
        if (kind === 'method' && typeof target === 'function') return wrapMethod(target as AnyFunction, rule);
        if (kind === 'class' && typeof target === 'function') {
          wrapClass(target as abstract new () => unknown, rule);
          return undefined;
        }
        throw new TypeError(`@${name}() decorates a class or a method, not a ${kind}.`);
      }
      if (descriptor !== undefined && typeof descriptor.value === 'function') {
        return { ...descriptor, value: wrapMethod(descriptor.value as AnyFunction, rule) };
      }
      if (typeof target === 'function' && context === undefined) {
        wrapClass(target as abstract new () => unknown, rule);
        return undefined;
      }
      throw new TypeError(`@${name}() decorates a class or a method.`);
    }
    return decorator as TrackingDecorator;
  }

  return {
    NoTracking: () => createDecorator('NoTracking', { noTracking: true }),
    TrackAs: (data) => createDecorator('TrackAs', { data }),
  };
}
