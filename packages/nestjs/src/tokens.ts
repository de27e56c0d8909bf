/** Injection token of the module's resolved options. @internal */
export const MAPP_TRACKING_OPTIONS = Symbol.for('@mapp-s2s/nestjs.options');
/** Injection token of the module's request tracking (core `createRequestTracking`). @internal */
export const MAPP_REQUEST_TRACKING = Symbol.for('@mapp-s2s/nestjs.request-tracking');
/** Metadata key of `@NoTracking()` and `@TrackAs()`. @internal */
export const MAPP_TRACKING_RULE = '@mapp-s2s/nestjs:tracking-rule';
