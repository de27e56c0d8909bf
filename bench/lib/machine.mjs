/** Describes the machine and software the benchmarks ran on. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem, type } from 'node:os';

function osName() {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const match = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(text);
    if (match) return `${match[1]} (${type()} ${release()})`;
  } catch {
    // not Linux: fall through
  }
  return `${type()} ${release()}`;
}

function availableCores() {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    return cpus().length;
  }
}

function versionOf(name) {
  try {
    // Read the file directly: some packages' `exports` hide their package.json.
    return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
  } catch {
    return 'n/a';
  }
}

/** A plain record for BENCHMARKS.md. */
export function describeMachine() {
  const list = cpus();
  return {
    date: new Date().toISOString(),
    cpu: list[0]?.model?.trim() ?? 'unknown',
    cores: availableCores(),
    logicalCpus: list.length,
    ramGiB: totalmem() / 1024 ** 3,
    freeRamGiB: freemem() / 1024 ** 3,
    loadAvg: loadavg(),
    node: process.version,
    os: osName(),
    versions: Object.fromEntries(
      ['express', 'koa', 'autocannon', '@segment/analytics-node', 'posthog-node', '@snowplow/node-tracker', '@mapp-s2s/core', '@mapp-s2s/express', '@mapp-s2s/koa'].map((n) => [n, versionOf(n)]),
    ),
  };
}
