/**
 * Configuration errors. They are thrown only from factories (`createTracker`,
 * `resolveOptions`), never during requests: request-path failures are values.
 */

/** Every error code the core throws. */
export type TrackingErrorCode = 'MISSING_OPTION' | 'INVALID_OPTION' | 'UNKNOWN_OPTION' | 'UNSUPPORTED_TRANSPORT';

/** Base class of every error thrown by mapp-s2s; `code` is stable and safe to switch on. */
export class TrackingError extends Error {
  /** Stable, machine-readable error code. */
  readonly code: TrackingErrorCode;

  constructor(code: TrackingErrorCode, message: string) {
    super(message);
    this.name = 'TrackingError';
    this.code = code;
  }
}

/** A required option (e.g. `trackId`) is missing from both the options and the environment. */
export class MissingOptionError extends TrackingError {
  declare readonly code: 'MISSING_OPTION';
  /** The option that is missing. */
  readonly option: string;

  constructor(option: string, message: string) {
    super('MISSING_OPTION', message);
    this.name = 'MissingOptionError';
    this.option = option;
  }
}

/** An option has a value of the wrong type or format. */
export class InvalidOptionError extends TrackingError {
  declare readonly code: 'INVALID_OPTION';
  /** The option (or environment variable) that is invalid. */
  readonly option: string;

  constructor(option: string, message: string) {
    super('INVALID_OPTION', message);
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}

/** An option key that the tracker does not know, usually a typo. */
export class UnknownOptionError extends TrackingError {
  declare readonly code: 'UNKNOWN_OPTION';
  /** The unknown key. */
  readonly option: string;

  constructor(option: string, message: string) {
    super('UNKNOWN_OPTION', message);
    this.name = 'UnknownOptionError';
    this.option = option;
  }
}

/** The chosen transport is not available from this entry point (e.g. `spool` on the edge). */
export class UnsupportedTransportError extends TrackingError {
  declare readonly code: 'UNSUPPORTED_TRANSPORT';

  constructor(message: string) {
    super('UNSUPPORTED_TRANSPORT', message);
    this.name = 'UnsupportedTransportError';
  }
}
