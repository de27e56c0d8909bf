import type { RequestFacts } from '../request-facts.js';
import type { HitData, RequestContext, Tracker, Visit } from '../types.js';
import type { RequestState } from './request-state.js';
import type { ResponseCookies } from './request-tracking.js';

/** Shared by every request until `trackPage` merges data: merging never mutates it. */
const NO_DATA: HitData = Object.freeze({}) as HitData;

/**
 * One tracked request's state. A class rather than an object of closures: the request path
 * allocates one object per request, with its methods on the prototype.
 * @internal
 */
export class TrackedRequest<R> implements RequestState {
  visit: Visit | undefined = undefined;
  data: HitData = NO_DATA;
  optedOut = false;
  /** Filled by the tracker's `beginNow`, read again by `endQuietly` (`FactsMemo`). */
  facts: RequestFacts | undefined = undefined;
  /** Set while `begin()` is still pending (async `consent`/`skip`, or a foreign tracker). */
  pending: Promise<Visit | undefined> | undefined = undefined;
  private setCookie: string | undefined = undefined;

  constructor(
    readonly tracker: Tracker,
    readonly context: RequestContext,
    readonly started: number,
    private readonly cookies: ResponseCookies,
    readonly request: R,
    private readonly report: (error: unknown, request: R | undefined) => void,
  ) {}

  get visitReady(): Promise<Visit | undefined> {
    return this.pending ?? Promise.resolve(this.visit);
  }

  /** Records the visit and puts its cookie on the response; never throws. */
  settle(visit: Visit): void {
    this.visit = visit;
    if (visit.setCookie === undefined || this.optedOut) return;
    try {
      if (this.cookies.append(visit.setCookie)) this.setCookie = visit.setCookie;
    } catch (error) {
      // The adapter waits for the visit before the route runs: this must not throw.
      this.report(error, this.request);
    }
  }

  takeBackCookie(): void {
    if (this.setCookie !== undefined) this.cookies.remove(this.setCookie);
    this.setCookie = undefined;
  }

  reportError(error: unknown): void {
    this.report(error, this.request);
  }
}
