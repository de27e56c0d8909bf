/**
 * JSON lines (nginx `log_format ... escape=json '{...}'`, Caddy, load balancers, log
 * shippers): one object per line, its keys mapped to the record's fields. Keys named like
 * nginx variables (`remote_addr`, `time_iso8601`, `request`, `status`, `http_user_agent`,
 * `cookie_wteid_<id>`...) and a few usual names (`ip`, `method`, `url`, `user_agent`...) are
 * understood without a mapping; `--field <name>=<key>` maps any other key, also inside nested
 * objects (`--field ip=client.address`).
 */
import { emptyRecord, splitRequestLine, type LogRecord, type MalformedReason } from './log-record.js';
import { parseAnyTime } from './log-time.js';
import type { LineParser } from './log-format.js';
import { LogFormatError } from './log-format.js';

/** The record fields a `--field` may name, and the keys each is read from by default. */
export const JSON_FIELDS: Readonly<Record<string, readonly string[]>> = {
  ip: ['remote_addr', 'ip', 'client_ip', 'clientip', 'remote_ip'],
  time: ['time_iso8601', 'time_local', 'msec', 'time', 'timestamp', '@timestamp', 'ts'],
  request: ['request'],
  method: ['request_method', 'method'],
  uri: ['request_uri', 'url', 'uri', 'path'],
  status: ['status', 'status_code'],
  user_agent: ['http_user_agent', 'user_agent', 'useragent', 'ua'],
  referrer: ['http_referer', 'referer', 'referrer'],
  host: ['host', 'http_host', 'server_name', 'hostname'],
  scheme: ['scheme'],
  forwarded_for: ['http_x_forwarded_for', 'x_forwarded_for', 'forwarded_for', 'xff'],
  cookie: ['http_cookie', 'cookie'],
  content_type: ['sent_http_content_type', 'content_type'],
};

type Assign = (record: LogRecord, value: unknown) => boolean;

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' || value === '-' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function header(name: string): Assign {
  return (record, value) => {
    const v = text(value);
    if (v !== undefined) record.headers[name] = v;
    return true;
  };
}

function cookie(name: string): Assign {
  return (record, value) => {
    const v = text(value);
    if (v !== undefined) record.cookies[name] = v;
    return true;
  };
}

const ASSIGN: Readonly<Record<string, Assign>> = {
  ip: (r, v) => ((r.ip = text(v)), true),
  time: (r, v) => ((r.time = parseAnyTime(v)), !Number.isNaN(r.time)),
  request: (r, v) => {
    const request = text(v);
    if (request !== undefined) splitRequestLine(r, request);
    return true;
  },
  method: (r, v) => ((r.method = text(v)), true),
  uri: (r, v) => ((r.uri = text(v)), true),
  status: (r, v) => {
    const status = typeof v === 'number' ? v : typeof v === 'string' && v.length === 3 ? Number(v) : Number.NaN;
    r.status = status;
    return Number.isInteger(status) && status >= 100 && status <= 599;
  },
  user_agent: header('user-agent'),
  referrer: header('referer'),
  host: (r, v) => ((r.host = text(v)), true),
  scheme: (r, v) => ((r.scheme = text(v)), true),
  forwarded_for: header('x-forwarded-for'),
  cookie: (r, v) => ((r.cookieHeader = text(v)), true),
  content_type: (r, v) => ((r.contentType = text(v)), true),
};

/** A field name of `--field`: a record field, `cookie_<name>` or `http_<header>`. */
function assignFor(field: string): Assign | undefined {
  const known = ASSIGN[field];
  if (known !== undefined) return known;
  if (field.startsWith('cookie_') && field.length > 7) return cookie(field.slice(7));
  if (field.startsWith('http_') && field.length > 5 && field !== 'http_authorization' && field !== 'http_cookie') return header(field.slice(5).replace(/_/g, '-'));
  return undefined;
}

/** Which malformed reason a failed assignment stands for. */
const FAILURE: Readonly<Record<string, MalformedReason>> = { time: 'time', status: 'status' };

interface Mapping {
  readonly field: string;
  readonly path: readonly string[];
  readonly assign: Assign;
}

/**
 * Compiles JSON-lines parsing with `--field name=key` mappings (`mappings`: name to key path).
 * Throws {@link LogFormatError} for an unknown field name.
 */
export function compileJsonLines(mappings: Readonly<Record<string, string>> = {}): LineParser {
  const explicit: Mapping[] = [];
  for (const [field, key] of Object.entries(mappings)) {
    const assign = assignFor(field);
    if (assign === undefined) {
      throw new LogFormatError(`--field ${field}=${key}: unknown field "${field}"; use one of ${Object.keys(JSON_FIELDS).join(', ')}, cookie_<name> or http_<header>`);
    }
    explicit.push({ field, path: key.split('.'), assign });
  }
  const mapped = new Set(explicit.map((m) => m.field));
  // Top-level keys read by default: the first key of each field in its list that a line has wins.
  const defaults = new Map<string, { field: string; rank: number; assign: Assign }>();
  for (const [field, keys] of Object.entries(JSON_FIELDS)) {
    if (mapped.has(field)) continue;
    keys.forEach((key, rank) => defaults.set(key, { field, rank, assign: ASSIGN[field] as Assign }));
  }
  const generic = new Map<string, Assign>();
  const explicitKeys = new Set(explicit.filter((m) => m.path.length === 1).map((m) => m.path[0] as string));
  return function parseJsonLine(line: string): LogRecord | MalformedReason {
    let object: unknown;
    try {
      object = JSON.parse(line);
    } catch {
      return 'json';
    }
    if (typeof object !== 'object' || object === null || Array.isArray(object)) return 'json';
    const source = object as Record<string, unknown>;
    const record = emptyRecord();
    const ranks: Record<string, number> = {};
    for (const key in source) {
      if (explicitKeys.has(key)) continue;
      const known = defaults.get(key);
      if (known !== undefined) {
        const rank = ranks[known.field];
        if (rank !== undefined && rank <= known.rank) continue;
        ranks[known.field] = known.rank;
        if (!known.assign(record, source[key])) return FAILURE[known.field] ?? 'format';
        continue;
      }
      // nginx-named cookies and headers, as in a log_format.
      if (key.startsWith('cookie_') || key.startsWith('http_')) {
        let assign = generic.get(key);
        if (assign === undefined && generic.size < 256) {
          assign = assignFor(key) ?? (() => true);
          generic.set(key, assign);
        }
        (assign ?? assignFor(key))?.(record, source[key]);
      }
    }
    for (const mapping of explicit) {
      let value: unknown = source;
      for (const part of mapping.path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
      if (value === undefined) continue;
      if (!mapping.assign(record, value)) return FAILURE[mapping.field] ?? 'format';
    }
    if (Number.isNaN(record.time)) return 'time';
    return record;
  };
}
