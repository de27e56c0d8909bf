import { describe, expect, it } from '@jest/globals';
import { compileJsonLines } from '../src/import/json-lines.js';
import { compileLogFormat, LogFormatError, unescapeLogValue } from '../src/import/log-format.js';
import { toRecordedRequest, type LogRecord } from '../src/import/log-record.js';
import { parseAnyTime, parseClfTime, parseIsoTime } from '../src/import/log-time.js';
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

  it('takes the path of an absolute-form target, keeping the target for the core', () => {
    const r = record(compileLogFormat('combined').parse(`1.2.3.4 - - [14/Mar/2025:09:26:53 +0100] "GET http://evil.example/p?q=1 HTTP/1.1" 200 1 "-" "${UA.chrome}"`));
    expect(toRecordedRequest(r, { host: 'www.example.com', scheme: undefined })).toMatchObject({ url: 'https://www.example.com/p?q=1', absoluteTarget: 'http://evil.example/p?q=1' });
  });
});
