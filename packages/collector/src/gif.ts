/** The 43-byte transparent 1×1 GIF that Mapp's tracker answers with (docs/protocol.md §1). */
export const TRACKING_GIF: Buffer = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
