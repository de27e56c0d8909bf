import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from 'jest';
import { baseProject } from './jest.config.base';

const root = __dirname;
const packages = readdirSync(join(root, 'packages')).filter((name) => existsSync(join(root, 'packages', name, 'test')));

const config: Config = {
  // A guard, not a fix: a handle a test forgets (a server, a child's pipe) must never hang CI.
  // Known sources are closed by their tests (e.g. esbuild's service in edge-safety.test.ts).
  forceExit: true,
  projects: packages.map((name) => {
    const dir = join(root, 'packages', name);
    const custom = join(dir, 'jest.config.ts');
    return existsSync(custom) ? custom : baseProject(name, dir);
  }),
};

export default config;
