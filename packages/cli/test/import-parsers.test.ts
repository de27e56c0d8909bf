import { describe, expect, it } from '@jest/globals';
import { compileJsonLines } from '../src/import/json-lines.js';
import { compileLogFormat, LogFormatError, unescapeLogValue } from '../src/import/log-format.js';
import { toRecordedRequest, type LogRecord } from '../src/import/log-record.js';
import { MAX_TIME_MS, MIN_TIME_MS, parseAnyTime, parseClfTime, parseEpochSeconds, parseIsoTime } from '../src/import/log-time.js';
import { combinedLine, CUSTOM_FORMAT, customLine, generateEntries, MALFORMED_LINES, nginxEscape, TRACK_ID, UA } from './access-logs.js';

const T = Date.UTC(2025, 2, 14, 8, 26, 53);

function record(result: LogRecord | string): LogRecord {
  if (typeof result === 'string') throw new Error(`malformed: ${result}`);
  return result;
}

describe('log times', () => {
  it.each<[string, number]>([
    ['14/Mar/2025:09:26:53 +0100', T],
    ['14/Mar/2025:03:56:53 -0430', T],
    ['14/Mar/2025:08:26:53 +0000', T],
  ])('$time_local %s', (text, expected) => {
    expect(parseClfTime(text)).toBe(expected);
  });

  it.each(['14/Foo/2025:09:26:53 +0100', '14/Mar/2025:09:26:53', '14/Mar/2025 09:26:53 +0100', '99/Mar/2025:09:26:53 +0100', ''])('rejects %p', (text) => {
    expect(parseClfTime(text)).toBeNaN();
  });

  it('reads ISO 8601 only with a zone, and epoch numbers in s or ms', () => {
    expect(parseIsoTime('2025-03-14T09:26:53+01:00')).toBe(T);
    expect(parseIsoTime('2025-03-14T08:26:53Z')).toBe(T);
    expect(parseIsoTime('2025-03-14T08:26:53')).toBeNaN();
    expect(parseAnyTime(T / 1000)).toBe(T);
    expect(parseAnyTime(T)).toBe(T);
    expect(parseAnyTime(`${T / 1000}.250`)).toBe(T + 250);
    expect(parseAnyTime('[14/Mar/2025:09:26:53 +0100]')).toBe(T);
  });
});

describe('impossible and out-of-range times', () => {
  it.each([
    ['14/Mar/0001:09:26:53 +0000', 'year 1 (before 1970)'],
    ['01/Jan/1970:00:30:00 +0100', '1969 in UTC'],
    ['09/Sep/2001:01:46:39 +0000', 'the last 12-digit second'],
    ['31/Feb/2025:09:26:53 +0100', '31 February'],
    ['29/Feb/2025:09:26:53 +0100', '29 February of a common year'],
    ['29/Feb/2100:09:26:53 +0100', '29 February of a century that is no leap year'],
    ['31/Apr/2025:09:26:53 +0100', '31 April'],
    ['00/Mar/2025:09:26:53 +0100', 'day 0'],
    ['14/Mar/2025:24:00:00 +0100', 'hour 24'],
    ['14/Mar/2025:09:60:53 +0100', 'minute 60'],
    ['14/Mar/2025:09:26:60 +0100', 'a leap second'],
    ['14/Mar/2025:09:26:53 +9999', 'zone +9999'],
    ['14/Mar/2025:09:26:53 +1401', 'zone beyond +14:00'],
    ['14/Mar/2025:09:26:53 -0160', 'zone minutes 60'],
    ['14/Mar/2025:09:2x:53 +0100', 'a letter in the minutes'],
  ])('$time_local %p (%s) is unreadable', (text) => {
    expect(parseClfTime(text)).toBeNaN();
  });

  it.each([
    ['1969-12-31T23:00:00+00:00', 'before 1970'],
    ['2025-02-30T09:26:53+01:00', '30 February'],
    ['2025-13-01T09:26:53+01:00', 'month 13'],
    ['2025-03-14T09:26:60+01:00', 'a leap second'],
    ['2025-03-14T09:26:53+99:99', 'zone +99:99'],
    ['2025-03-14T09:26:53+14:30', 'zone beyond +14:00'],
    ['2025-03-14T09:26:53.Z', 'a fraction without digits'],
    ['2286-11-20T17:46:40Z', 'the first 14-digit ms'],
    ['2001-09-09T01:46:39.999Z', 'the last 12-digit ms'],
  ])('ISO 8601 %p (%s) is unreadable', (text) => {
    expect(parseIsoTime(text)).toBeNaN();
    expect(parseAnyTime(text)).toBeNaN();
  });

  it('reads every real date from 2001-09-09T01:46:40Z to 2286-11-20T17:46:39.999Z, leap days and zones included', () => {
    expect(parseIsoTime('2001-09-09T01:46:40Z')).toBe(MIN_TIME_MS);
    expect(parseIsoTime('2286-11-20T17:46:39.999Z')).toBe(MAX_TIME_MS);
    expect(parseClfTime('29/Feb/2024:09:26:53 +0100')).toBe(Date.UTC(2024, 1, 29, 8, 26, 53));
    expect(parseClfTime('29/Feb/2000:00:00:00 +0000')).toBe(Date.UTC(2000, 1, 29) < MIN_TIME_MS ? Number.NaN : Date.UTC(2000, 1, 29));
    expect(parseClfTime('31/Dec/2025:23:59:59 -1200')).toBe(Date.UTC(2026, 0, 1, 11, 59, 59));
    expect(parseClfTime('14/Mar/2025:23:26:53 +1400')).toBe(Date.UTC(2025, 2, 14, 9, 26, 53));
    expect(parseIsoTime('2025-03-14T09:26:53.123456789+0100')).toBe(T + 123);
    expect(parseIsoTime('2025-03-14T09:26:53.12+01:00')).toBe(T + 120);
    expect(parseIsoTime('2025-03-14T09:26:53.7+01:00')).toBe(T + 700);
    expect(parseIsoTime('2025-03-14T09:26:53.999Z')).toBe(T + 3_600_000 + 999);
    // Every day of a leap year and a common year, against Date.UTC.
    for (const year of [2024, 2025]) {
      for (let day = new Date(Date.UTC(year, 0, 1)); day.getUTCFullYear() === year; day = new Date(day.getTime() + 86_400_000)) {
        const iso = day.toISOString().slice(0, 10);
        expect(parseIsoTime(`${iso}T12:00:00Z`)).toBe(day.getTime() + 12 * 3_600_000);
      }
    }
  });

  it('refuses epoch numbers that are not 13-digit ms', () => {
    expect(parseAnyTime(999_999_999)).toBeNaN(); // seconds: 2001-09-09T01:46:39Z
    expect(parseAnyTime(1_000_000_000)).toBe(MIN_TIME_MS);
    expect(parseAnyTime(-5)).toBeNaN();
    expect(parseAnyTime(1e16)).toBeNaN();
    expect(parseAnyTime('0')).toBeNaN();
    expect(parseEpochSeconds('999999999.999')).toBeNaN();
    expect(parseEpochSeconds('10000000000.000')).toBeNaN(); // 2286-11-20T17:46:40Z
  });

  it('makes such lines malformed (time) in every format, never a record with a bad time', () => {
    const combined = compileLogFormat('combined').parse;
    for (const time of ['14/Mar/0001:09:26:53 +0000', '01/Jan/1970:00:30:00 +0100', '31/Feb/2025:09:26:53 +0100', '14/Mar/2025:09:26:60 +0100', '14/Mar/2025:09:26:53 +9999']) {
      expect(combined(`1.2.3.4 - - [${time}] "GET / HTTP/1.1" 200 1 "-" "${UA.chrome}"`)).toBe('time');
    }
    const json = compileJsonLines();
    expect(json(JSON.stringify({ time_iso8601: '1969-12-31T23:00:00+00:00', request: 'GET / HTTP/1.1', status: 200 }))).toBe('time');
    expect(json(JSON.stringify({ time_iso8601: '2025-02-30T09:26:53+01:00', request: 'GET / HTTP/1.1', status: 200 }))).toBe('time');
    expect(json(JSON.stringify({ msec: 5, request: 'GET / HTTP/1.1', status: 200 }))).toBe('time');
    expect(compileLogFormat('$msec "$request" $status').parse('1.5 "GET / HTTP/1.1" 200')).toBe('time');
  });

  it('keeps a record with a bad time out of the tracker even if a parser let it through', () => {
    const r = record(compileLogFormat('combined').parse(`1.2.3.4 - - [14/Mar/2025:09:26:53 +0100] "GET / HTTP/1.1" 200 1 "-" "${UA.chrome}"`));
    for (const time of [-1_800_000, 0, 5, Number.NaN, MAX_TIME_MS + 1]) {
      expect(toRecordedRequest({ ...r, time }, { host: 'www.example.com', scheme: undefined })).toEqual({ malformed: 'time' });
    }
  });
});

describe('nginx log_format', () => {
  it('parses combined lines field by field, IPv6 and escapes included', () => {
    const { parse } = compileLogFormat('combined');
    const r = record(parse(`2001:db8::7 - - [14/Mar/2025:09:26:53 +0100] "GET /a?b=1 HTTP/1.1" 200 512 "https://ref.example/x" "${nginxEscape(UA.odd)}"`));
    expect(r).toMatchObject({ ip: '2001:db8::7', time: T, method: 'GET', uri: '/a?b=1', status: 200 });
    expect(r.headers).toEqual({ referer: 'https://ref.example/x', 'user-agent': UA.odd });
  });

  it('parses common lines and Apache identd answers', () => {
    const r = record(compileLogFormat('common').parse('10.1.2.3 identd frank [14/Mar/2025:09:26:53 +0100] "GET /index.html HTTP/1.0" 200 2326'));
    expect(r).toMatchObject({ ip: '10.1.2.3', uri: '/index.html', status: 200, time: T });
    expect(r.headers).toEqual({});
  });

  it('tolerates fields appended after combined', () => {
    const r = record(compileLogFormat('combined').parse(`1.2.3.4 - - [14/Mar/2025:09:26:53 +0100] "GET / HTTP/1.1" 200 1 "-" "${UA.chrome}" 0.004 "upstream"`));
    expect(r.headers['user-agent']).toBe(UA.chrome);
  });

  it('reads a custom definition: forwarded chain, host and the Mapp cookie', () => {
    const format = compileLogFormat(CUSTOM_FORMAT);
    expect(format.hasHost).toBe(true);
    const [entry] = generateEntries(1, T);
    const r = record(format.parse(customLine({ ...entry!, xff: '203.0.113.5, 10.0.0.1', host: 'shop.example.com', eid: '2176420000012345678' })));
    expect(r.host).toBe('shop.example.com');
    expect(r.headers['x-forwarded-for']).toBe('203.0.113.5, 10.0.0.1');
    expect(r.cookies).toEqual({ [`wteid_${TRACK_ID}`]: '2176420000012345678' });
  });

  it('ends a quoted value at the first unescaped quote: \\x22, \\" and \\\\ inside', () => {
    const { parse } = compileLogFormat('combined');
    const line = '1.2.3.4 - - [14/Mar/2025:09:26:53 +0100] "GET /q?x=\\x22a\\x22 HTTP/1.1" 200 1 "-" "Agent \\"quoted\\" back\\\\slash\\\\"';
    const r = record(parse(line));
    expect(r.uri).toBe('/q?x="a"');
    expect(r.headers['user-agent']).toBe('Agent "quoted" back\\slash\\');
  });

  it('decodes \\xHH runs as UTF-8 and keeps unknown escapes', () => {
    expect(unescapeLogValue('caf\\xC3\\xA9 \\q \\u00e4 \\n')).toBe('café \\q ä \n');
  });

  it('reads $request_method with $request_uri, $msec and $scheme/$http_host', () => {
    const { parse } = compileLogFormat('$msec $request_method $scheme://$http_host$request_uri $status');
    const r = record(parse(`${T / 1000}.000 GET https://Shop.Example.com/p?x=1 200`));
    expect(r).toMatchObject({ time: T, method: 'GET', scheme: 'https', httpHost: 'Shop.Example.com', uri: '/p?x=1', status: 200 });
  });

  it.each([
    ['$remote_addr$status', /touch/],
    ['$remote_addr [$time_local] $status', /\$request/],
    ['$remote_addr "$request" [$time_local]', /\$status/],
    ['$remote_addr "$request" $status', /\$time_local/],
    ['plain text', /no variables/],
  ])('refuses the definition %p', (definition, message) => {
    expect(() => compileLogFormat(definition)).toThrow(LogFormatError);
    expect(() => compileLogFormat(definition)).toThrow(message);
  });

  it.each(MALFORMED_LINES)('reports %p as malformed, never throws', (line) => {
    expect(typeof compileLogFormat('combined').parse(line)).toBe('string');
  });

  it('parses every generated line the way it was written', () => {
    const { parse } = compileLogFormat('combined');
    for (const entry of generateEntries(48, T)) {
      const r = record(parse(combinedLine(entry)));
      expect(r).toMatchObject({ ip: entry.ip, time: entry.time, method: entry.method, uri: entry.uri, status: entry.status });
      expect(r.headers['user-agent']).toBe(entry.ua);
      expect(r.headers.referer).toBe(entry.referrer);
    }
  });

  it('stays linear on hostile lines (no backtracking)', () => {
    const { parse } = compileLogFormat(CUSTOM_FORMAT);
    const hostile = `1.2.3.4 - - [14/Mar/2025:09:26:53 +0100] "${'\\"'.repeat(200_000)}`;
    const started = performance.now();
    expect(parse(hostile)).toBe('format');
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('JSON lines', () => {
  it('understands nginx-named keys without a mapping', () => {
    const parse = compileJsonLines();
    const r = record(parse(JSON.stringify({ remote_addr: '2001:db8::1', time_iso8601: '2025-03-14T09:26:53+01:00', request: 'GET /a HTTP/2.0', status: '200', http_user_agent: UA.chrome, http_referer: '-', cookie_wtstp_eid: '2176420000012345678', host: 'shop.example.com' })));
    expect(r).toMatchObject({ ip: '2001:db8::1', time: T, method: 'GET', uri: '/a', status: 200, host: 'shop.example.com' });
    expect(r.headers).toEqual({ 'user-agent': UA.chrome });
    expect(r.cookies).toEqual({ wtstp_eid: '2176420000012345678' });
  });

  it('maps other keys with --field, nested ones too', () => {
    const parse = compileJsonLines({ ip: 'client.address', time: 'ts', uri: 'path', method: 'verb', status: 'code', user_agent: 'agent', host: 'site', cookie_wteid_123451234512345: 'visitor' });
    const r = record(parse(JSON.stringify({ client: { address: '203.0.113.9' }, ts: T, path: '/x', verb: 'GET', code: 200, agent: UA.safari, site: 'www.example.com', visitor: '2176420000012345678' })));
    expect(r).toMatchObject({ ip: '203.0.113.9', time: T, uri: '/x', method: 'GET', status: 200, host: 'www.example.com' });
    expect(r.headers['user-agent']).toBe(UA.safari);
    expect(r.cookies[`wteid_${TRACK_ID}`]).toBe('2176420000012345678');
  });

  it.each([
    ['{"remote_addr":"1.2.3.4"', 'json'],
    ['[1,2]', 'json'],
    ['{"request":"GET / HTTP/1.1","status":200}', 'time'],
    ['{"request":"GET / HTTP/1.1","status":"abc","msec":"1741940813.000"}', 'status'],
  ])('reports %p as %p', (line, reason) => {
    expect(compileJsonLines()(line)).toBe(reason);
  });

  it('refuses an unknown field name', () => {
    expect(() => compileJsonLines({ agent: 'ua' })).toThrow(/unknown field "agent"/);
  });
});

describe('record to RecordedRequest', () => {
  const parse = compileLogFormat(CUSTOM_FORMAT).parse;
  const [entry] = generateEntries(1, T);

  it('builds the page URL from --host over the logged host, and --scheme', () => {
    const r = record(parse(customLine({ ...entry!, host: 'internal.local' })));
    expect(toRecordedRequest(r, { host: 'www.example.com', scheme: undefined })).toMatchObject({ url: `https://www.example.com${entry!.uri}` });
    const again = record(parse(customLine({ ...entry!, host: 'shop.example.com' })));
    expect(toRecordedRequest(again, { host: undefined, scheme: 'http' })).toMatchObject({ url: `http://shop.example.com${entry!.uri}`, remoteAddress: entry!.ip, time: T });
  });

  it('skips lines without a host and requests that are no requests', () => {
    expect(toRecordedRequest(record(parse(customLine(entry!))), { host: undefined, scheme: undefined })).toBe('no-host');
    const junk = record(compileLogFormat('combined').parse('1.2.3.4 - - [14/Mar/2025:09:26:53 +0100] "\\x16\\x03\\x01" 400 0 "-" "-"'));
    expect(toRecordedRequest(junk, { host: 'www.example.com', scheme: undefined })).toBe('invalid-request');
  });

  it.each([
    ['evil.example/path?x=', 'a path and query'],
    ['evil.example?x=', 'a query'],
    ['user@evil.example', 'userinfo'],
    ['www.example.com:443:1', 'two ports'],
    ['[::1', 'an open bracket'],
    [`${'a'.repeat(261)}.com`, 'over 260 characters'],
  ])('makes a logged host with %s (%s) malformed (host), unless --host overrides it', (host) => {
    const r = record(parse(customLine({ ...entry!, host })));
    expect(toRecordedRequest(r, { host: undefined, scheme: undefined })).toEqual({ malformed: 'host' });
    expect(toRecordedRequest(record(parse(customLine({ ...entry!, host }))), { host: 'www.example.com', scheme: undefined })).toMatchObject({ url: `https://www.example.com${entry!.uri}` });
  });

  it('checks the host of $scheme://$host$request_uri the same way', () => {
    const format = compileLogFormat('$msec "$request_method $scheme://$host$request_uri" $status');
    expect(toRecordedRequest(record(format.parse(`${T / 1000}.000 "GET https://evil.example?x=/p6" 200`)), { host: undefined, scheme: undefined })).toEqual({ malformed: 'host' });
    expect(toRecordedRequest(record(format.parse(`${T / 1000}.000 "GET https://Shop.Example.com:8443/p6" 200`)), { host: undefined, scheme: undefined })).toMatchObject({ url: 'https://Shop.Example.com:8443/p6' });
    expect(toRecordedRequest(record(format.parse(`${T / 1000}.000 "GET https://[2001:db8::1]/p6" 200`)), { host: undefined, scheme: undefined })).toMatchObject({ url: 'https://[2001:db8::1]/p6' });
  });

  it('takes the path of an absolute-form target, keeping the target for the core', () => {
    const r = record(compileLogFormat('combined').parse(`1.2.3.4 - - [14/Mar/2025:09:26:53 +0100] "GET http://evil.example/p?q=1 HTTP/1.1" 200 1 "-" "${UA.chrome}"`));
    expect(toRecordedRequest(r, { host: 'www.example.com', scheme: undefined })).toMatchObject({ url: 'https://www.example.com/p?q=1', absoluteTarget: 'http://evil.example/p?q=1' });
  });
});
