/** Shared constants of the benchmarks. */

/** A syntactically valid 15-digit Mapp track id (the sink accepts any). */
export const TRACK_ID = '123451234512345';

/** A desktop Chrome User-Agent: a missing or bot UA is (correctly) not tracked. */
export const BROWSER_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** A returning visitor's first-party eid cookie (19 digits, Smart Pixel layout). */
export const EID_COOKIE = 'wtstp_eid=2176420000012345678';
