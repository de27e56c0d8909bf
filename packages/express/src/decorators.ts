import type { PageHitData } from './options.js';
import { getRequestState, optOutRequest } from './request-state.js';
import { trackPage } from './track-page.js';

/** What a decorator does to each call of the decorated handler. */
interface Rule {
  readonly noTracking?: boolean;
  readonly data?: PageHitData;
}

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

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

function looksLikeRequest(value: unknown): value is object {
  return typeof value === 'object' && value !== null && typeof (value as { method?: unknown }).method === 'string';
}

function applyRule(args: readonly unknown[], rule: Rule): void {
  // The request is the first argument of a handler, the second of an error handler.
  const req = args.find((arg) => getRequestState(arg) !== undefined) ?? args.find(looksLikeRequest);
  if (req === undefined) return;
  if (rule.noTracking) optOutRequest(req);
  if (rule.data !== undefined && getRequestState(req) !== undefined) trackPage(req as never, rule.data);
}

function wrapMethod<T extends AnyFunction>(method: T, rule: Rule): T {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    applyRule(args, rule);
    return method.apply(this, args);
  };
  // Express tells error handlers apart by their arity, so keep it.
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

/**
 * Opts a controller method, or every method of a controller class, out of page-view tracking.
 *
 * ```ts
 * @NoTracking()
 * class AdminController { index(req: Request, res: Response) { ... } }
 * const admin = new AdminController();
 * app.get('/admin', (req, res) => admin.index(req, res)); // or admin.index.bind(admin)
 * ```
 */
export function NoTracking(): TrackingDecorator {
  return createDecorator('NoTracking', { noTracking: true });
}

/**
 * Adds page data (as `trackPage()` would) to every page view handled by a controller method
 * or class, e.g. `@TrackAs({ pageName: 'account/orders' })`. The handler's own `trackPage()`
 * calls run later and win.
 */
export function TrackAs(data: PageHitData): TrackingDecorator {
  return createDecorator('TrackAs', { data });
}
