import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from 'jest';
import { baseProject } from './jest.config.base';

const root = __dirname;
const packages = readdirSync(join(root, 'packages')).filter((name) => existsSync(join(root, 'packages', name, 'test')));

const config: Config = {
  projects: packages.map((name) => {
    const dir = join(root, 'packages', name);
    const custom = join(dir, 'jest.config.ts');
    return existsSync(custom) ? custom : baseProject(name, dir);
  }),
};

export default config;
