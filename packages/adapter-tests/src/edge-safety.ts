import { afterAll, describe, expect, it } from '@jest/globals';
import type { Plugin } from 'esbuild';
import { builtinModules } from 'node:module';

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Records every Node built-in the bundle tries to import. */
function builtinSpy(found: string[]): Plugin {
  return {
    name: 'node-builtin-spy',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /.*/ }, (args) => {
        if (BUILTINS.has(args.path) || args.path.startsWith('node:')) {
          found.push(`${args.path} (from ${args.importer})`);
          return { path: args.path, external: true };
        }
        return undefined;
      });
    },
  };
}

/** What `defineEdgeSafetySuite()` bundles. */
export interface EdgeSafetySuiteOptions {
  /** Shown in the test names, e.g. `the main entry`. */
  readonly name: string;
  /** Absolute path of the entry to bundle, e.g. `src/index.ts`. */
  readonly entry: string;
  /** Packages left out of the bundle (a framework peer dependency). */
  readonly external?: readonly string[];
}

/**
 * Registers the tests that an entry bundles for the `neutral` and `browser` platforms (edge
 * runtimes, workers) without a Node built-in, a global `process` or a CommonJS `require`.
 * Call it at the top level of a jest test file.
 */
export function defineEdgeSafetySuite({ name, entry, external = [] }: EdgeSafetySuiteOptions): void {
  describe(`edge safety of ${name}`, () => {
    // esbuild keeps a service process alive; when jest runs in band it would keep jest from exiting.
    // Loaded here only, so suites that do not bundle do not pay for it.
    afterAll(async () => (await import('esbuild')).stop());

    it.each(['neutral', 'browser'] as const)('bundles for platform %s without any Node built-in', async (platform) => {
      const { build } = await import('esbuild');
      const found: string[] = [];
      const result = await build({
        entryPoints: [entry],
        bundle: true,
        platform,
        mainFields: ['module', 'main'],
        format: 'esm',
        write: false,
        logLevel: 'silent',
        external: [...external],
        plugins: [builtinSpy(found)],
      });
      expect(found).toEqual([]);
      expect(result.errors).toEqual([]);
      const code = result.outputFiles[0]?.text ?? '';
      expect(code.length).toBeGreaterThan(1000);
      // No global `process` (a method named `.process` is fine) and no CommonJS `require(`.
      expect(code).not.toMatch(/(?<![.\w$])process\s*[.[]/);
      expect(code).not.toMatch(/(?<![.\w$])require\s*\(/);
    });

    it('the check itself catches a Node import', async () => {
      const { build } = await import('esbuild');
      const found: string[] = [];
      await build({
        stdin: { contents: "import { readFileSync } from 'node:fs'; export const x = readFileSync;", loader: 'ts' },
        bundle: true,
        platform: 'neutral',
        write: false,
        logLevel: 'silent',
        plugins: [builtinSpy(found)],
      });
      expect(found).toEqual(['node:fs (from <stdin>)']);
    });
  });
}
