import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { startCollector, type Collector } from '@mapp-s2s/collector';

/**
 * Starts one local collector for the enclosing `describe` block (or file), clears its hits
 * after each test and closes it at the end. Call it at collection time; the returned
 * function gives the running collector inside tests and hooks.
 */
export function useCollector(): () => Collector {
  let collector: Collector | undefined;
  beforeAll(async () => {
    collector = await startCollector();
  });
  afterEach(() => {
    collector?.clear();
  });
  afterAll(async () => {
    await collector?.close();
  });
  return () => {
    if (collector === undefined) throw new Error('useCollector(): the collector runs only inside tests and hooks');
    return collector;
  };
}
