import type { TextOut } from '../io.js';

/** Draws `[#####-----]  50%  1200 lines` in place on a terminal, at most every 100 ms. */
export function createProgressBar(out: TextOut): { update(fraction: number, label: string): void; done(): void } {
  let last = 0;
  let drawn = false;
  const draw = (fraction: number, label: string): void => {
    const width = Math.max(10, Math.min(40, (out.columns ?? 80) - 30));
    const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
    out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${label}\u001b[K`);
    drawn = true;
  };
  return {
    update(fraction, label) {
      const now = Date.now();
      if (now - last < 100 && fraction < 1) return;
      last = now;
      draw(fraction, label);
    },
    done() {
      if (drawn) out.write('\n');
    },
  };
}
