/**
 * Log timestamps to ms since the epoch, without regular expressions or `Date` parsing on the
 * common path: an access log holds thousands of lines per second with the same timestamp, so
 * each parser remembers its last input.
 */

const MONTHS: Readonly<Record<string, number>> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    value = value * 10 + c;
  }
  return value;
}

/** `10/Oct/2000:13:55:36 -0700` (`$time_local`, Apache `%t` without brackets); NaN when malformed. */
export function parseClfTime(text: string): number {
  if (text.length !== 26 || text.charCodeAt(2) !== 47 || text.charCodeAt(6) !== 47 || text.charCodeAt(11) !== 58 || text.charCodeAt(20) !== 32) return Number.NaN;
  const month = MONTHS[text.slice(3, 6)];
  if (month === undefined) return Number.NaN;
  const day = digits(text, 0, 2);
  const year = digits(text, 7, 4);
  const hour = digits(text, 12, 2);
  const minute = digits(text, 15, 2);
  const second = digits(text, 18, 2);
  const sign = text.charCodeAt(21) === 45 ? -1 : text.charCodeAt(21) === 43 ? 1 : 0;
  const offset = sign * (digits(text, 22, 2) * 60 + digits(text, 24, 2));
  if (sign === 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return Number.NaN;
  return Date.UTC(year, month, day, hour, minute, second) - offset * 60_000;
}

/** `2000-10-10T13:55:36-07:00` (`$time_iso8601`) or any ISO 8601 date-time with a zone; NaN otherwise. */
export function parseIsoTime(text: string): number {
  // Without a zone `Date.parse` would use the importing machine's: refuse rather than guess.
  if (text.length < 20 || text.charCodeAt(10) !== 84 /* T */) return Number.NaN;
  const last = text.charCodeAt(text.length - 1);
  const zoned = last === 90 /* Z */ || text.charCodeAt(text.length - 6) === 43 || text.charCodeAt(text.length - 6) === 45 || text.charCodeAt(text.length - 5) === 43 || text.charCodeAt(text.length - 5) === 45;
  return zoned ? Date.parse(text) : Number.NaN;
}

/** `1700000000.123` (`$msec`), seconds since the epoch with a fraction; NaN when not a number. */
export function parseEpochSeconds(text: string): number {
  if (text === '' || !/^\d{1,12}(\.\d{1,9})?$/.test(text)) return Number.NaN;
  return Math.round(Number(text) * 1000);
}

/** Any of the above, and epoch numbers in seconds or ms (JSON logs). */
export function parseAnyTime(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? (value < 1e11 ? Math.round(value * 1000) : Math.round(value)) : Number.NaN;
  if (typeof value !== 'string') return Number.NaN;
  const first = value.charCodeAt(0);
  if (value.length === 26 && value.charCodeAt(2) === 47) return parseClfTime(value);
  if (value.length === 28 && first === 91 /* [ */) return parseClfTime(value.slice(1, -1));
  if (value.length >= 20 && value.charCodeAt(4) === 45 && value.charCodeAt(10) === 84) return parseIsoTime(value);
  if (/^\d{10,13}$/.test(value)) return parseAnyTime(Number(value));
  return parseEpochSeconds(value);
}

/** A parser that remembers its last input and answer. */
export function memoTime(parse: (text: string) => number): (text: string) => number {
  let lastText = '';
  let lastTime = Number.NaN;
  return (text) => {
    if (text !== lastText) {
      lastText = text;
      lastTime = parse(text);
    }
    return lastTime;
  };
}
