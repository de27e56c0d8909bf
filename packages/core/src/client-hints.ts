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

/** The request's `Sec-CH-UA*` headers as `[X-WT-SEC-CH-UA*, value]` pairs, or undefined when none. */
export function clientHintParams(headers: Readonly<Record<string, string>>): Array<[string, string]> | undefined {
  if (headers['sec-ch-ua'] === undefined && headers['sec-ch-ua-mobile'] === undefined && headers['sec-ch-ua-platform'] === undefined) return undefined;
  const out: Array<[string, string]> = [];
  for (const [header, param] of HINTS) {
    const value = headers[header];
    if (value !== undefined && value !== '') out.push([param, value]);
  }
  return out.length === 0 ? undefined : out;
}
