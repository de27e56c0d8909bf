import { resolve } from 'node:path';
import { defineReadmeServerSuite } from '@mapp-s2s/adapter-tests';

defineReadmeServerSuite({ heading: '### Hono (4, on Node, Bun, Deno and edge workers)', packageDir: resolve(__dirname, '..'), name: 'readme-hono', listen: 'port: 3000' });
