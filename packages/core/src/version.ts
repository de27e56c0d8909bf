/** Our version, sent as `cs801` so Mapp can tell which sender produced a hit. */
export const SENDER_VERSION = '0.1.0';
/**
 * Platform sent as `cs802`. PROTOCOL.md §3 lists the values Mapp knows (`Node`, `Java`,
 * `PHP`, `iOS`); we are a JavaScript server library, so `Node` (also on the Edge runtime).
 */
export const SENDER_PLATFORM = 'Node';
/** Protocol version (`p` field 1), fixed for server-to-server hits. */
export const PROTOCOL_VERSION = '600';
