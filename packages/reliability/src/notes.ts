import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const NOTES = join(__dirname, '..', '..', '..', '..', 'notes', 'reliability.md');

/**
 * Prints a measured result and appends it to /work/notes/reliability.md when that team
 * log exists (on a developer machine); in a fresh clone it is printed only.
 */
export function report(line: string): void {
  const stamped = `- ${new Date().toISOString()} ${line}`;
  console.log(stamped);
  if (existsSync(NOTES)) appendFileSync(NOTES, `${stamped}\n`);
}
