import { afterAll, describe, expect, it } from '@jest/globals';
import { build, stop, type Plugin } from 'esbuild';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

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

describe('edge safety of the main entry', () => {
  // esbuild keeps a service process alive; when jest runs in band it would keep jest from exiting.
  afterAll(() => stop());

  it.each(['neutral', 'browser'] as const)('bundles for platform %s without any Node built-in', async (platform) => {
    const found: string[] = [];
    const result = await build({
      entryPoints: [join(__dirname, '../src/index.ts')],
      bundle: true,
      platform,
      mainFields: ['module', 'main'],
      format: 'esm',
      write: false,
      logLevel: 'silent',
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
