import { describe, expect, it } from '@jest/globals';
import { BROWSER_UA } from './browser.js';
import { freePort, readmeBlock, runSnippet, substitute, waitForServer } from './readme-snippets.js';
import { useCollector } from './use-collector.js';

/** What the README server snippet of one framework needs to run in a test. */
export interface ReadmeServerSuiteOptions {
  /** The README heading above the snippet, e.g. `### Express (4 and 5)`. */
  readonly heading: string;
  /** The package the snippet's imports resolve from (it depends on the framework). */
  readonly packageDir: string;
  readonly name: string;
  /**
   * How the snippet names its port, with `3000` in it; the test puts a free port there.
   * @default 'listen(3000)'
   */
  readonly listen?: string;
  /** Extra environment of the snippet's process, e.g. `TSX_TSCONFIG_PATH` for decorators. */
  readonly env?: Record<string, string>;
}

const PAGES = 20;
const README_DOMAIN = "'analytics01.wt-eu02.net'";
const README_PORT = 'listen(3000)';
/** The README's shutdown timeout. */
const CLOSE_TIMEOUT_MS = 5000;

/**
 * Runs a framework's README quick start as written (only the track domain and the port are
 * changed), as its own process: every page view arrives, and SIGTERM (the snippet's own
 * shutdown code) delivers what is queued. With Mapp down for the whole shutdown timeout the
 * process still exits at about the timeout and says how many hits it gave up.
 */
export function defineReadmeServerSuite(options: ReadmeServerSuiteOptions): void {
  describe(`README quick start: ${options.heading.replace(/^#+\s*/, '')}`, () => {
    const collector = useCollector();

    async function start() {
      const port = await freePort();
      let code = substitute(readmeBlock(options.heading), README_DOMAIN, JSON.stringify(collector().url));
      const listen = options.listen ?? README_PORT;
      code = substitute(code, listen, listen.replace('3000', String(port)));
      const snippet = runSnippet(code, options.packageDir, options.name, options.env);
      await waitForServer(`http://127.0.0.1:${port}/`, snippet);
      collector().clear();
      for (let n = 0; n < PAGES; n += 1) {
        const response = await fetch(`http://127.0.0.1:${port}/?n=${n}`, { headers: { 'user-agent': BROWSER_UA, accept: 'text/html' } });
        expect(response.status).toBe(200);
        await response.text();
      }
      return snippet;
    }

    it('delivers every page view when the process is stopped with SIGTERM', async () => {
      const snippet = await start();
      snippet.kill('SIGTERM');
      const exit = await snippet.exited;
      expect({ code: exit.code, output: snippet.output() }).toEqual({ code: 0, output: '' });
      const pages = collector()
        .hits()
        .map((hit) => Number(new URL(hit.params.pu ?? '').searchParams.get('n')))
        .sort((a, b) => a - b);
      expect(pages).toEqual(Array.from({ length: PAGES }, (_, n) => n));
    }, 60_000);

    it('with Mapp down, exits at about the shutdown timeout and says how many hits it gave up', async () => {
      const snippet = await start();
      collector().setFaults({ status: 503 });
      const stopping = Date.now();
      snippet.kill('SIGTERM');
      const exit = await snippet.exited;
      const waited = Date.now() - stopping;
      expect(exit.code).toBe(0);
      // It waited for Mapp (retrying) and then gave up, saying so.
      expect(waited).toBeGreaterThanOrEqual(CLOSE_TIMEOUT_MS - 500);
      expect(waited).toBeLessThan(CLOSE_TIMEOUT_MS + 10_000);
      expect(snippet.output()).toContain(`mapp-s2s: ${PAGES} hits dropped (closed): close() timed out after ${CLOSE_TIMEOUT_MS} ms`);
      expect(collector().hits()).toHaveLength(0);
    }, 60_000);
  });
}
