/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight, like a busy site's visitors.
 * Results keep the index order. A task that throws fails the whole run.
 */
export async function runConcurrent<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, () => worker()));
  return results;
}

/**
 * Polls `check` until it returns true or the deadline passes (then throws with `what` and
 * the last `describe()`): polling with a deadline, as the house rules allow, never a fixed wait.
 */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, describe: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms. ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
