import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';

export const WORKSPACE = join(__dirname, '..', '..', '..');

/** What test/fixtures/probe.{cjs,mjs} report. */
export interface ProbeReport {
  format: 'cjs' | 'esm';
  sameClass: boolean;
  errors: Record<string, 'no error' | { name: string; code: string; instanceOfCore: boolean }>;
}

/** The probe's answer when every entry and adapter shares one TrackingError. */
export function oneCore(format: 'cjs' | 'esm'): ProbeReport {
  const invalid = { name: 'InvalidOptionError', code: 'INVALID_OPTION', instanceOfCore: true };
  return {
    format,
    sameClass: true,
    errors: {
      '@mapp-s2s/core createTracker': invalid,
      '@mapp-s2s/core/node createTracker': invalid,
      '@mapp-s2s/express mappTracking': invalid,
      '@mapp-s2s/koa mappTracking': invalid,
      '@mapp-s2s/fastify mappTracking': invalid,
      '@mapp-s2s/fastify mappPixelProxy': invalid,
      '@mapp-s2s/hono mappTracking': invalid,
      '@mapp-s2s/hono mappPixelProxy': invalid,
      '@mapp-s2s/nestjs mappPixelProxy': invalid,
    },
  };
}

/**
 * Runs the probe with plain Node from `dir` (copied there first unless it is the fixtures
 * folder), so the packages resolve exactly as an app in `dir` resolves them.
 */
export function runProbe(dir: string, format: 'cjs' | 'esm'): ProbeReport {
  const file = `probe.${format === 'cjs' ? 'cjs' : 'mjs'}`;
  const fixtures = join(__dirname, 'fixtures');
  if (dir !== fixtures) for (const name of [file, 'probe-cases.cjs']) copyFileSync(join(fixtures, name), join(dir, name));
  const result = spawnSync(process.execPath, [join(dir, file)], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`probe.${format} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(result.stdout) as ProbeReport;
}

/** The environment for package managers run by a test: none of the calling pnpm's npm_config_* settings. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_)/i.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command and returns its output; throws with both streams when it fails. */
export function exec(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): string {
  try {
    return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

/**
 * Runs a command without blocking this process (a collector served from the test process
 * must keep answering); resolves with its exit status and output.
 */
export function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
