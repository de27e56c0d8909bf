// Preloaded into every `next build` / `next start` the e2e test spawns: when the test process
// dies without stopping them (a killed or timed-out jest run), their parent changes and they
// exit instead of lingering as orphans holding ports and memory.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500).unref();
