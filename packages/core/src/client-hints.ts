/** Browser client hints and the names Mapp expects them under (docs/protocol.md §5). */
const HINTS: ReadonlyArray<readonly [string, string]> = [
  ['sec-ch-ua', 'X-WT-SEC-CH-UA'],
  ['sec-ch-ua-full-version-list', 'X-WT-SEC-CH-UA-FULL-VERSION-LIST'],
  ['sec-ch-ua-model', 'X-WT-SEC-CH-UA-MODEL'],
  ['sec-ch-ua-mobile', 'X-WT-SEC-CH-UA-MOBILE'],
  ['sec-ch-ua-platform', 'X-WT-SEC-CH-UA-PLATFORM'],
  ['sec-ch-ua-platform-version', 'X-WT-SEC-CH-UA-PLATFORM-VERSION'],
];

/**
 * The `Accept-CH` header value that makes browsers send every hint we forward; set it on
 * page responses (the official Node library does the same).
 */
export const ACCEPT_CH = 'Sec-CH-UA, Sec-CH-UA-Full-Version-List, Sec-CH-UA-Model, Sec-CH-UA-Mobile, Sec-CH-UA-Platform, Sec-CH-UA-Platform-Version';

/**
 * The request's `Sec-CH-UA*` headers as `[X-WT-SEC-CH-UA*, value]` pairs, or undefined when none.
 * Each hint the request carries is sent on its own, as the official libraries add each one that
 * has a value (a request may carry `Sec-CH-UA-Model` without `Sec-CH-UA`).
 */
export function clientHintParams(headers: Readonly<Record<string, string>>): Array<[string, string]> | undefined {
  let out: Array<[string, string]> | undefined;
  for (let i = 0; i < HINTS.length; i++) {
    const [header, param] = HINTS[i] as readonly [string, string];
    const value = headers[header];
    if (value !== undefined && value !== '') (out ??= []).push([param, value]);
  }
  return out;
}
