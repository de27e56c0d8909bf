/**
 * Realistic access-log lines for the import tests: browsers, bots, assets, 404s, redirects,
 * IPv6, odd user agents, logged Mapp cookies, forwarded chains, and malformed lines, each
 * with what the import should make of it.
 */

export const TRACK_ID = '123451234512345';

export const UA = {
  chrome: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  safari: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  firefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  /** A browser UA with a quote and non-ASCII text, as nginx escapes them. */
  odd: 'Mozilla/5.0 (Linux; Android 14; "Pixel 8" Build/ÄÖÜ) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Mobile Safari/537.36',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  bingbot: 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  curl: 'curl/8.5.0',
} as const;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `$time_local` for `ms` in the zone `offsetMinutes` east of UTC. */
export function timeLocal(ms: number, offsetMinutes = 60): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  const two = (n: number): string => String(n).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${sign}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
}

/** nginx's default escaping (`escape=default`): `"`, `\`, control and non-ASCII bytes as `\xHH`. */
export function nginxEscape(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte === 0x22 || byte === 0x5c || byte < 0x20 || byte > 0x7e ? `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

/** One logged request and what should become of it. */
export interface LogEntry {
  ip: string;
  time: number;
  method: string;
  uri: string;
  status: number;
  referrer: string | undefined;
  ua: string | undefined;
  /** `$http_x_forwarded_for`. */
  xff?: string;
  /** `$host`. */
  host?: string;
  /** `$cookie_wteid_<TRACK_ID>`. */
  eid?: string;
  /** `page` for a page view, else the skip reason. */
  expect: string;
}

/** A combined-format line. */
export function combinedLine(e: LogEntry): string {
  return `${e.ip} - - [${timeLocal(e.time)}] "${e.method} ${nginxEscape(e.uri)} HTTP/1.1" ${e.status} 5120 "${e.referrer === undefined ? '-' : nginxEscape(e.referrer)}" "${e.ua === undefined ? '-' : nginxEscape(e.ua)}"`;
}

/** The custom nginx format of the issue: combined plus forwarded chain, host and the Mapp cookie. */
export const CUSTOM_FORMAT = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for" $host $cookie_wteid_${TRACK_ID}`;

export function customLine(e: LogEntry): string {
  return `${combinedLine(e)} "${e.xff ?? '-'}" ${e.host ?? '-'} ${e.eid ?? '-'}`;
}

/**
 * A day of traffic: `count` entries cycling through the kinds of request a site sees, one
 * second apart from `start`.
 */
export function generateEntries(count: number, start = Date.UTC(2025, 2, 14, 8, 0, 0), first = 0): LogEntry[] {
  const entries: LogEntry[] = [];
  for (let n = first; n < first + count; n++) {
    const time = start + n * 1000;
    const ip = `198.51.100.${(n % 200) + 1}`;
    const base = { ip, time, method: 'GET', status: 200, referrer: 'https://www.google.com/', ua: UA.chrome as string | undefined };
    let entry: LogEntry;
    switch (n % 12) {
      case 0:
        entry = { ...base, uri: `/products/${n}?color=blue`, expect: 'page' };
        break;
      case 1:
        entry = { ...base, uri: `/static/app-${n}.js`, referrer: `https://www.example.com/products/${n - 1}`, expect: 'asset' };
        break;
      case 2:
        entry = { ...base, uri: '/', ua: UA.googlebot, referrer: undefined, expect: 'bot' };
        break;
      case 3:
        entry = { ...base, ip: `2001:db8::${(n % 4096).toString(16)}`, uri: `/blog/post-${n}`, ua: UA.safari, referrer: undefined, expect: 'page' };
        break;
      case 4:
        entry = { ...base, uri: `/missing-${n}`, status: 404, expect: 'status' };
        break;
      case 5:
        entry = { ...base, uri: `/search?q=caf%C3%A9+${n}`, ua: UA.odd, expect: 'page' };
        break;
      case 6:
        entry = { ...base, uri: '/img/logo.png', expect: 'asset' };
        break;
      case 7:
        entry = { ...base, uri: `/cart/${n}`, method: 'POST', expect: 'method' };
        break;
      case 8:
        entry = { ...base, uri: `/account/${n}`, status: 304, ua: UA.firefox, eid: `2${String(1700000000 + n).padStart(10, '0')}12345678`, expect: 'page' };
        break;
      case 9:
        entry = { ...base, uri: '/old-page', status: 301, expect: 'status' };
        break;
      case 10:
        entry = { ...base, uri: '/', ua: UA.curl, referrer: undefined, expect: 'bot' };
        break;
      default:
        entry = { ...base, uri: `/checkout/${n}`, ua: undefined, expect: 'bot' };
        break;
    }
    entries.push(entry);
  }
  return entries;
}

/** Lines that match no format, each in its own way. */
export const MALFORMED_LINES = [
  'garbage',
  '198.51.100.1 - - [14/Mar/2025:08:00:00 +0100] "GET / HTTP/1.1" 200',
  '198.51.100.1 - - [not a time] "GET / HTTP/1.1" 200 5 "-" "ua"',
  '198.51.100.1 - - [14/Mar/2025:08:00:00 +0100] "GET / HTTP/1.1" abc 5 "-" "ua"',
  '\u0000\u0001\u0002 binary \uFFFD junk',
];
