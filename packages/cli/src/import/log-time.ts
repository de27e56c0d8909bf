/**
 * Log timestamps to ms since the epoch, without regular expressions or `Date` parsing on the
 * common path: an access log holds thousands of lines per second with the same timestamp, so
 * each parser remembers its last input.
 *
 * Every date is checked, never rolled over: a day that its month does not have (`31/Feb`,
 * `2025-02-30`, `29/Feb` outside leap years), an hour over 23, a minute or second over 59 (a
 * leap second `:60` is refused: the epoch time has no place for it, and system clocks repeat
 * `:59` instead) and a zone offset beyond ±14:00 or with minutes over 59 make the time
 * unreadable (NaN, a malformed `time` line). So does a time outside {@link MIN_TIME_MS} ..
 * {@link MAX_TIME_MS}: Mapp's `p` field 7 holds 13-digit ms (docs/protocol.md §2, §11).
 */

/** The first ms with 13 digits: 2001-09-09T01:46:40.000Z. Earlier lines are malformed (`time`). */
export const MIN_TIME_MS = 1_000_000_000_000;
/** The last ms with 13 digits: 2286-11-20T17:46:39.999Z. Later lines are malformed (`time`). */
export const MAX_TIME_MS = 9_999_999_999_999;

/** The widest zone offset in use (Kiribati, UTC+14:00), in minutes. */
const MAX_OFFSET_MINUTES = 14 * 60;

const MONTHS: Readonly<Record<string, number>> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return Number.NaN;
    value = value * 10 + c;
  }
  return value;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days of `month` (0-based) in `year`. */
function daysInMonth(year: number, month: number): number {
  return month === 1 && isLeapYear(year) ? 29 : (MONTH_DAYS[month] as number);
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`):
 * unlike `Date.UTC`, years 0-99 are not taken for 1900-1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month < 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (month + 10) % 12; // month is 0-based: March is 0
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** `ms` when it is a 13-digit epoch time, else NaN. */
export function inTimeRange(ms: number): number {
  return ms >= MIN_TIME_MS && ms <= MAX_TIME_MS ? ms : Number.NaN;
}

/** The fields of a wall-clock time with its zone offset (minutes east of UTC). */
interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  offset: number;
}

/** The epoch ms of a checked wall-clock time, or NaN when any field is out of its range. */
function wallClockToMs(t: WallClock): number {
  // NaN fails every comparison, so a non-digit anywhere ends up here too.
  if (!(t.year >= 0 && t.month >= 0 && t.month <= 11 && t.day >= 1 && t.day <= daysInMonth(t.year, t.month))) return Number.NaN;
  if (!(t.hour >= 0 && t.hour <= 23 && t.minute >= 0 && t.minute <= 59 && t.second >= 0 && t.second <= 59 && t.ms >= 0)) return Number.NaN;
  if (!(Math.abs(t.offset) <= MAX_OFFSET_MINUTES)) return Number.NaN;
  const ms = ((daysFromCivil(t.year, t.month, t.day) * 24 + t.hour) * 60 + t.minute - t.offset) * 60_000 + t.second * 1000 + t.ms;
  return inTimeRange(ms);
}

/** A zone offset `+HHMM` or `+HH:MM` at `from` in minutes east of UTC; NaN when malformed. */
function zoneOffset(text: string, from: number, colon: boolean): number {
  const sign = text.charCodeAt(from) === 45 /* - */ ? -1 : text.charCodeAt(from) === 43 /* + */ ? 1 : 0;
  const hours = digits(text, from + 1, 2);
  if (colon && text.charCodeAt(from + 3) !== 58 /* : */) return Number.NaN;
  const minutes = digits(text, from + (colon ? 4 : 3), 2);
  if (sign === 0 || !(minutes <= 59)) return Number.NaN;
  return sign * (hours * 60 + minutes);
}

/** `10/Oct/2000:13:55:36 -0700` (`$time_local`, Apache `%t` without brackets); NaN when malformed. */
export function parseClfTime(text: string): number {
  if (text.length !== 26 || text.charCodeAt(2) !== 47 || text.charCodeAt(6) !== 47 || text.charCodeAt(11) !== 58 || text.charCodeAt(14) !== 58 || text.charCodeAt(17) !== 58 || text.charCodeAt(20) !== 32) {
    return Number.NaN;
  }
  const month = MONTHS[text.slice(3, 6)];
  if (month === undefined) return Number.NaN;
  return wallClockToMs({
    year: digits(text, 7, 4),
    month,
    day: digits(text, 0, 2),
    hour: digits(text, 12, 2),
    minute: digits(text, 15, 2),
    second: digits(text, 18, 2),
    ms: 0,
    offset: zoneOffset(text, 21, false),
  });
}

/**
 * `2000-10-10T13:55:36-07:00` (`$time_iso8601`): an ISO 8601 date-time with seconds, an
 * optional fraction (1 to 9 digits, cut to ms) and a zone (`Z`, `+HH:MM` or `+HHMM`); NaN
 * otherwise. Without a zone it would be the importing machine's: refused rather than guessed.
 */
export function parseIsoTime(text: string): number {
  if (text.length < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 /* T */ || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) {
    return Number.NaN;
  }
  let at = 19;
  let ms = 0;
  if (text.charCodeAt(at) === 46 /* . */) {
    const start = at + 1;
    at = start;
    while (at < text.length && at - start < 10 && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57) at++;
    const count = at - start;
    if (count === 0 || count > 9) return Number.NaN;
    // Integer arithmetic only (12 / 0.1 is 119.99... in floating point): pad or cut to 3 digits.
    ms = count <= 3 ? digits(text, start, count) * 10 ** (3 - count) : Math.floor(digits(text, start, count) / 10 ** (count - 3));
  }
  const zoneLength = text.length - at;
  let offset: number;
  if (zoneLength === 1 && (text.charCodeAt(at) === 90 /* Z */ || text.charCodeAt(at) === 122 /* z */)) offset = 0;
  else if (zoneLength === 6) offset = zoneOffset(text, at, true);
  else if (zoneLength === 5) offset = zoneOffset(text, at, false);
  else return Number.NaN;
  return wallClockToMs({
    year: digits(text, 0, 4),
    month: digits(text, 5, 2) - 1,
    day: digits(text, 8, 2),
    hour: digits(text, 11, 2),
    minute: digits(text, 14, 2),
    second: digits(text, 17, 2),
    ms,
    offset,
  });
}

/** `1700000000.123` (`$msec`), seconds since the epoch with a fraction; NaN when not a number or out of range. */
export function parseEpochSeconds(text: string): number {
  if (text === '' || !/^\d{1,12}(\.\d{1,9})?$/.test(text)) return Number.NaN;
  return inTimeRange(Math.round(Number(text) * 1000));
}

/** Any of the above, and epoch numbers in seconds or ms (JSON logs). */
export function parseAnyTime(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? inTimeRange(value < 1e11 ? Math.round(value * 1000) : Math.round(value)) : Number.NaN;
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
