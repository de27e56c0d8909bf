import { resolve } from 'node:path';
import { defineReadmeServerSuite } from '@mapp-s2s/adapter-tests';

defineReadmeServerSuite({
  heading: '### NestJS (11, on Express or Fastify)',
  packageDir: resolve(__dirname, '..'),
  name: 'readme-nestjs',
  env: { TSX_TSCONFIG_PATH: resolve(__dirname, 'readme.tsconfig.json') },
});
