import { resolve } from 'node:path';
import { defineReadmeServerSuite } from '@mapp-s2s/adapter-tests';

defineReadmeServerSuite({ heading: '### Koa (2 and 3)', packageDir: resolve(__dirname, '..'), name: 'readme-koa' });
