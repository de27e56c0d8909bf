import { codePointLength, MAX_SEND_LINE_CHARS, MAX_TEXT_LENGTH } from './encode.js';

/** Values that are URLs or client facts rather than text fields: the 255 limit does not apply. */
const UNLIMITED = new Set(['pu', 'X-WT-RQ', 'X-WT-UA', 'X-WT-SEC-CH-UA-FULL-VERSION-LIST', 'mc']);

/**
 * Checks a wire line against the protocol limits (docs/protocol.md §2, §4) for `debug` mode.
 * Returns human-readable problems; an empty list means the line is fine.
 */
export function validateLine(line: string): string[] {
  const problems: string[] = [];
  // Over 7 KB is fine for a single GET (the batch transport and `ship` send such a line alone,
  // docs/protocol.md §4); lines the core builds are split before they get there.
  if (line.length > MAX_SEND_LINE_CHARS) problems.push(`line is ${line.length} bytes, over ${MAX_SEND_LINE_CHARS}`);
  if (line.includes('\r') || line.includes('\n')) problems.push('line contains CR or LF');
  if (!line.startsWith('wt?p=')) problems.push('line does not start with wt?p=');
  const seen = new Set<string>();
  for (const part of line.slice(3).split('&')) {
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    if (eq === -1) problems.push(`parameter ${name} has no value`);
    if (seen.has(name)) problems.push(`parameter ${name} appears twice`);
    seen.add(name);
    if (name === 'p') {
      const fields = value.split(',');
      if (fields.length !== 10) problems.push(`p has ${fields.length} fields instead of 10`);
      for (const field of fields) if (!decodes(field)) problems.push('p has a field that is not valid percent-encoded UTF-8');
      continue;
    }
    if (!decodes(value)) {
      problems.push(`${name} is not valid percent-encoded UTF-8`);
      continue;
    }
    if (!UNLIMITED.has(name)) {
      for (const item of decodeURIComponent(value).split(';')) {
        if (codePointLength(item) > MAX_TEXT_LENGTH) problems.push(`${name} has a value over ${MAX_TEXT_LENGTH} characters`);
      }
    }
  }
  return problems;
}

function decodes(value: string): boolean {
  try {
    decodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}
