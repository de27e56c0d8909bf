import { resolve } from 'node:path';
import { defineReadmeServerSuite } from '@mapp-s2s/adapter-tests';

defineReadmeServerSuite({ heading: '### Fastify (5)', packageDir: resolve(__dirname, '..'), name: 'readme-fastify', listen: 'listen({ port: 3000 })' });
