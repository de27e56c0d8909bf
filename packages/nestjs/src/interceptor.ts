import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import type { TrackingRule } from './decorators.js';
import { carrierOf, kit } from './kit.js';
import { ResponseBridge } from './response-bridge.js';
import { MAPP_TRACKING_RULE } from './tokens.js';

/**
 * Applies `@NoTracking()` and `@TrackAs()` once the handler is known (the module registers it
 * for the whole app): the handler's rule wins over its controller's; `@TrackAs()` data of both
 * is added, the controller's first.
 * @internal
 */
@Injectable()
export class MappTrackingInterceptor implements NestInterceptor {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const carrier = carrierOf(http.getRequest<object>());
    const state = kit.states.get(carrier);
    if (state === undefined) return next.handle();
    const onClass = this.reflector.get<TrackingRule | undefined>(MAPP_TRACKING_RULE, context.getClass());
    const onHandler = this.reflector.get<TrackingRule | undefined>(MAPP_TRACKING_RULE, context.getHandler());
    const decisive = onHandler ?? onClass;
    if (decisive?.noTracking === true) {
      kit.optOut(carrier);
      return next.handle();
    }
    if (onClass?.data !== undefined && onHandler?.noTracking !== true) kit.trackPage(carrier, onClass.data);
    if (onHandler?.data !== undefined) kit.trackPage(carrier, onHandler.data);
    ResponseBridge.of(carrier)?.useReply(http.getResponse<object>());
    return next.handle();
  }
}
