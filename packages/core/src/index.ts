export const PROTOCOL_VERSION = '600';
