import { describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { readmeBlock, runSnippet, substitute, useCollector } from '@mapp-s2s/adapter-tests';

const CORE = resolve(__dirname, '../../core');
const HEADING = '### Anywhere in the backend';

/** The README's backend snippet (createTracker + track(), no close()), pointed at the collector. */
function backendSnippet(origin: string): string {
  return substitute(readmeBlock(HEADING), "'analytics01.wt-eu02.net'", JSON.stringify(origin));
}

describe('README backend snippet: a script that tracks and simply ends', () => {
  const collector = useCollector();

  it('still delivers its hit: the tracker flushes on beforeExit', async () => {
    const snippet = runSnippet(backendSnippet(collector().url), CORE, 'readme-backend');
    const exit = await snippet.exited;
    expect({ code: exit.code, output: snippet.output() }).toEqual({ code: 0, output: '' });
    const hits = collector().hits();
    expect(hits).toHaveLength(1);
    expect(hits[0]?.params).toMatchObject({ ct: 'shipment', ov: '59.9', oi: 'A-1001', ceid: 'customer-42' });
  }, 60_000);

  it('ended by process.exit() before close(): the lost hit is counted, emitted and warned, not silently gone', async () => {
    // A Koa/Express app or a job that calls process.exit() itself (Next.js does on SIGTERM).
    const code = `${backendSnippet(collector().url)}
const events: string[] = [];
tracker.on((event) => { if (event.type === 'dropped') events.push(event.reason); });
process.once('exit', () => console.log(JSON.stringify({ dropped: tracker.stats().dropped, events })));
process.exit(0);
`;
    const snippet = runSnippet(code, CORE, 'readme-backend-exit');
    const exit = await snippet.exited;
    expect(exit.code).toBe(0);
    expect(snippet.output()).toContain('mapp-s2s: 1 hit dropped (closed): the process exited before it was delivered; await tracker.close({ timeout }) before process.exit()');
    expect(snippet.output()).toContain(JSON.stringify({ dropped: { closed: 1 }, events: ['closed'] }));
  }, 60_000);

  it('with Mapp down, exits after the flushOnExit timeout and says it gave the hit up', async () => {
    collector().setFaults({ status: 503 });
    const snippet = runSnippet(backendSnippet(collector().url), CORE, 'readme-backend-down');
    const exit = await snippet.exited;
    expect(exit.code).toBe(0);
    expect(exit.atMs).toBeGreaterThanOrEqual(5000);
    expect(exit.atMs).toBeLessThan(20_000);
    expect(snippet.output()).toContain('mapp-s2s: 1 hit dropped (closed): close() timed out after 5000 ms');
    expect(collector().hits()).toHaveLength(0);
  }, 60_000);
});
