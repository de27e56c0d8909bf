// ua-parser-js 1.x ships no types (2.x does, under the AGPL): the part the collector uses.
declare module 'ua-parser-js' {
  interface UAParserResult {
    browser: { name?: string; version?: string; major?: string };
    os: { name?: string; version?: string };
    device: { type?: string; vendor?: string; model?: string };
  }
  class UAParser {
    constructor(ua?: string);
    getResult(): UAParserResult;
  }
  export = UAParser;
}
