/**
 * nginx `log_format` definitions (and Apache's `common`/`combined`, which they can spell)
 * compiled into a line parser. The definition is split once into literal text and
 * variables; a line is then read left to right with `startsWith`/`indexOf` on the literals
 * (no regular expression, so no backtracking on hostile lines), and each variable's text
 * goes straight to its place in the record.
 *
 * Quoting: a variable between two `"` (`"$http_user_agent"`) ends at the next `"` that is
 * not escaped, so a value may hold the literal that follows it. nginx escapes `"` as `\x22`
 * (default `escape=default`) or `\"` (`escape=json`), and Apache as `\"`; all are decoded, as
 * are `\xHH` bytes (UTF-8), `\\` and JSON's `\n`, `\t`, `\uXXXX`.
 */
import { emptyRecord, splitRequestLine, type LogRecord, type MalformedReason } from './log-record.js';
import { memoTime, parseClfTime, parseEpochSeconds, parseIsoTime } from './log-time.js';

/** Parses one line into a record, or says why it is malformed. */
export type LineParser = (line: string) => LogRecord | MalformedReason;

/** The formats known by name. */
export const NAMED_FORMATS: Readonly<Record<string, string>> = {
  // `$remote_ident` is no nginx variable: Apache writes identd's answer there (nginx a literal `-`).
  common: '$remote_addr $remote_ident $remote_user [$time_local] "$request" $status $body_bytes_sent',
  combined: '$remote_addr $remote_ident $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"',
};

/** Where a variable's value goes. */
const enum Sink {
  Ignore,
  Ip,
  TimeLocal,
  TimeIso,
  TimeMsec,
  Request,
  Method,
  RequestUri,
  Uri,
  Args,
  Status,
  Host,
  HttpHost,
  ServerName,
  Scheme,
  ContentType,
  CookieHeader,
  Cookie,
  Header,
}

interface Field {
  readonly sink: Sink;
  /** Cookie or header name for `Cookie`/`Header`. */
  readonly key: string;
  /** The literal after it, which ends it. */
  readonly next: string;
  /** Between `"` and `"`: ends at the first unescaped quote. */
  readonly quoted: boolean;
  /** Followed directly by a path variable: ends before the first `/`. */
  readonly beforePath?: boolean;
}

/** Variables whose value starts with `/`. */
const PATH_VARIABLES: ReadonlySet<string> = new Set(['request_uri', 'uri', 'document_uri']);

/** Thrown for a definition that cannot be compiled, with a message that names the fix. */
export class LogFormatError extends Error {}

const SIMPLE_SINKS: Readonly<Record<string, Sink>> = {
  remote_addr: Sink.Ip,
  time_local: Sink.TimeLocal,
  time_iso8601: Sink.TimeIso,
  msec: Sink.TimeMsec,
  request: Sink.Request,
  request_method: Sink.Method,
  request_uri: Sink.RequestUri,
  uri: Sink.Uri,
  document_uri: Sink.Uri,
  args: Sink.Args,
  query_string: Sink.Args,
  status: Sink.Status,
  host: Sink.Host,
  http_host: Sink.HttpHost,
  server_name: Sink.ServerName,
  scheme: Sink.Scheme,
  sent_http_content_type: Sink.ContentType,
  http_cookie: Sink.CookieHeader,
};

function fieldFor(name: string, next: string, quoted: boolean): Field {
  const sink = SIMPLE_SINKS[name];
  if (sink !== undefined) return { sink, key: '', next, quoted };
  if (name.startsWith('cookie_') && name.length > 7) return { sink: Sink.Cookie, key: name.slice(7), next, quoted };
  if (name.startsWith('http_') && name.length > 5 && name !== 'http_authorization') return { sink: Sink.Header, key: name.slice(5).replace(/_/g, '-'), next, quoted };
  return { sink: Sink.Ignore, key: '', next, quoted };
}

/** The variables a definition uses, by name (for `--help`-style checks and tests). */
export interface CompiledFormat {
  readonly parse: LineParser;
  readonly variables: readonly string[];
  /** The format logs a host (`$host`, `$http_host`, `$server_name`). */
  readonly hasHost: boolean;
  /** The format logs a time. */
  readonly hasTime: boolean;
}

/** Splits a definition into literals and variable names (`$name` or `${name}`). */
function tokenize(definition: string): { literals: string[]; names: string[] } {
  const literals: string[] = [];
  const names: string[] = [];
  let literal = '';
  let i = 0;
  while (i < definition.length) {
    const c = definition[i] as string;
    if (c !== '$') {
      literal += c;
      i++;
      continue;
    }
    let name: string;
    if (definition[i + 1] === '{') {
      const close = definition.indexOf('}', i + 2);
      if (close === -1) throw new LogFormatError(`log format: "\${" at position ${i} is never closed`);
      name = definition.slice(i + 2, close);
      i = close + 1;
    } else {
      let end = i + 1;
      while (end < definition.length && /[A-Za-z0-9_]/.test(definition[end] as string)) end++;
      name = definition.slice(i + 1, end);
      i = end;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new LogFormatError(`log format: "$" at position ${i} is not followed by a variable name`);
    literals.push(literal);
    names.push(name.toLowerCase());
    literal = '';
  }
  literals.push(literal);
  return { literals, names };
}

/**
 * Compiles an nginx `log_format` definition, or the name `combined`/`common`, into a parser.
 * Throws {@link LogFormatError} when two variables touch (nothing could tell where one ends)
 * or the definition holds no `$request`/`$request_uri`/`$uri`, no `$status` or no time.
 */
export function compileLogFormat(definitionOrName: string): CompiledFormat {
  const definition = NAMED_FORMATS[definitionOrName] ?? definitionOrName;
  const { literals, names } = tokenize(definition);
  if (names.length === 0) throw new LogFormatError(`log format "${definitionOrName}" has no variables: give "combined", "common", "json" or an nginx log_format definition such as '$remote_addr - $remote_user [$time_local] "$request" $status ...'`);
  const fields: Field[] = [];
  for (let v = 0; v < names.length; v++) {
    const next = literals[v + 1] as string;
    // `$host$request_uri` is common: a path starts with `/`, which ends the value before it.
    const beforePath = next === '' && PATH_VARIABLES.has(names[v + 1] as string) && !PATH_VARIABLES.has(names[v] as string);
    if (next === '' && v < names.length - 1 && !beforePath) throw new LogFormatError(`log format: $${names[v]} and $${names[v + 1]} touch; nothing in the line could tell where one ends`);
    const quoted = (literals[v] as string).endsWith('"') && next.startsWith('"');
    fields.push(beforePath ? { ...fieldFor(names[v] as string, next, quoted), beforePath: true } : fieldFor(names[v] as string, next, quoted));
  }
  const has = (...wanted: string[]): boolean => wanted.some((name) => names.includes(name));
  if (!has('request', 'request_uri', 'uri', 'document_uri')) throw new LogFormatError('log format: needs $request (or $request_method with $request_uri) to know the page');
  if (!has('request', 'request_method')) throw new LogFormatError('log format: needs $request or $request_method: only GET requests are page views');
  if (!has('status')) throw new LogFormatError('log format: needs $status: only 2xx and 304 answers are page views');
  if (!has('time_local', 'time_iso8601', 'msec')) throw new LogFormatError('log format: needs $time_local, $time_iso8601 or $msec: the hit carries the time of the request');
  return {
    parse: createParser(literals[0] as string, fields),
    variables: names,
    hasHost: has('host', 'http_host', 'server_name'),
    hasTime: true,
  };
}

/** Index of the quote that ends a quoted value starting at `from`: the first not escaped by `\`. */
function closingQuote(line: string, from: number): number {
  let at = line.indexOf('"', from);
  while (at > from && line.charCodeAt(at - 1) === 92 /* \ */) {
    // An even run of backslashes escapes itself, not the quote.
    let run = 1;
    while (at - run - 1 >= from && line.charCodeAt(at - run - 1) === 92) run++;
    if (run % 2 === 0) break;
    at = line.indexOf('"', at + 1);
  }
  return at;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Decodes nginx/Apache/JSON escapes. `\xHH` runs are bytes of UTF-8 text (nginx escapes every
 * byte above 0x7e); anything that is not a known escape stays as it is.
 */
export function unescapeLogValue(value: string): string {
  if (value.indexOf('\\') === -1) return value;
  const bytes: number[] = [];
  let out = '';
  const flush = (): void => {
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 92 || i + 1 >= value.length) {
      flush();
      out += value[i];
      continue;
    }
    const e = value[i + 1];
    if (e === 'x' && i + 3 < value.length) {
      const hi = hexValue(value.charCodeAt(i + 2));
      const lo = hexValue(value.charCodeAt(i + 3));
      if (hi >= 0 && lo >= 0) {
        bytes.push(hi * 16 + lo);
        i += 3;
        continue;
      }
    }
    if (e === 'u' && i + 5 < value.length) {
      const code = Number.parseInt(value.slice(i + 2, i + 6), 16);
      if (/^[0-9a-fA-F]{4}$/.test(value.slice(i + 2, i + 6))) {
        flush();
        out += String.fromCharCode(code);
        i += 5;
        continue;
      }
    }
    flush();
    const simple = e === '"' ? '"' : e === '\\' ? '\\' : e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '/' ? '/' : undefined;
    if (simple === undefined) {
      out += '\\';
      continue;
    }
    out += simple;
    i++;
  }
  flush();
  return out;
}

/** `-` and empty mean "not logged". */
function present(value: string): string | undefined {
  return value === '-' || value === '' ? undefined : value;
}

function createParser(head: string, fields: readonly Field[]): LineParser {
  const timeLocal = memoTime(parseClfTime);
  const timeIso = memoTime(parseIsoTime);
  const count = fields.length;
  return function parseLogLine(line: string): LogRecord | MalformedReason {
    if (!line.startsWith(head)) return 'format';
    let pos = head.length;
    const record = emptyRecord();
    for (let f = 0; f < count; f++) {
      const field = fields[f] as Field;
      const next = field.next;
      let end: number;
      if (field.quoted) {
        end = closingQuote(line, pos);
        if (end === -1 || !line.startsWith(next, end)) return 'format';
      } else if (field.beforePath === true) {
        end = line.indexOf('/', pos);
        if (end === -1) return 'format';
      } else if (next === '') {
        end = line.length;
      } else {
        end = line.indexOf(next, pos);
        if (end === -1) return 'format';
      }
      const sink = field.sink;
      if (sink !== Sink.Ignore) {
        let value = line.slice(pos, end);
        if (field.quoted && value.indexOf('\\') !== -1) value = unescapeLogValue(value);
        switch (sink) {
          case Sink.Ip:
            record.ip = present(value);
            break;
          case Sink.TimeLocal:
            record.time = timeLocal(value);
            if (Number.isNaN(record.time)) return 'time';
            break;
          case Sink.TimeIso:
            record.time = timeIso(value);
            if (Number.isNaN(record.time)) return 'time';
            break;
          case Sink.TimeMsec:
            record.time = parseEpochSeconds(value);
            if (Number.isNaN(record.time)) return 'time';
            break;
          case Sink.Request:
            // A request line that is no request (binary junk, "-") is a line nginx logged: the
            // record stays without method and the core is never asked.
            splitRequestLine(record, value);
            break;
          case Sink.Method:
            record.method = present(value);
            break;
          case Sink.RequestUri:
            record.uri = present(value);
            break;
          case Sink.Uri:
            record.path = present(value);
            break;
          case Sink.Args:
            record.args = present(value);
            break;
          case Sink.Status: {
            const status = value.length === 3 ? Number(value) : Number.NaN;
            if (!(status >= 100 && status <= 599)) return 'status';
            record.status = status;
            break;
          }
          case Sink.Host:
            record.host = present(value);
            break;
          case Sink.HttpHost:
            record.httpHost = present(value);
            break;
          case Sink.ServerName:
            record.serverName = present(value);
            break;
          case Sink.Scheme:
            record.scheme = present(value);
            break;
          case Sink.ContentType:
            record.contentType = present(value);
            break;
          case Sink.CookieHeader:
            record.cookieHeader = present(value);
            break;
          case Sink.Cookie: {
            const cookie = present(value);
            if (cookie !== undefined) record.cookies[field.key] = cookie;
            break;
          }
          case Sink.Header: {
            const header = present(value);
            if (header !== undefined) record.headers[field.key] = header;
            break;
          }
        }
      }
      pos = end + next.length;
    }
    // Text after the last literal is allowed: fields appended to `combined` are common.
    return record;
  };
}
