import { join } from 'node:path';

/**
 * Every name a package's `src/index.ts` exports, types included, as the TypeScript checker
 * sees them, sorted. TypeScript is loaded only here, so suites that do not pin exports
 * do not pay for it.
 */
export async function exportedNames(packageDir: string): Promise<string[]> {
  const { default: ts } = await import('typescript');
  const configPath = join(packageDir, 'tsconfig.json');
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, packageDir);
  const entry = join(packageDir, 'src', 'index.ts');
  const program = ts.createProgram([entry], { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  return checker.getExportsOfModule(symbol).map((item) => item.name).sort();
}

/**
 * The core types every Node adapter re-exports (STYLE.md §18), for its exports test:
 * `[...ADAPTER_CORE_TYPES, ...ownNames].sort()`.
 */
export const ADAPTER_CORE_TYPES: readonly string[] = [
  'ConsentLevel',
  'CookieOptions',
  'HitData',
  'Logger',
  'OrderData',
  'PageData',
  'PageHitData',
  'ProductData',
  'ProxyHeaders',
  'RequestContext',
  'TrackResult',
  'Tracker',
  'TrackerEvent',
  'TrackerOptions',
  'TrackingDecorator',
  'TrustProxy',
  'Visit',
];
