import { resolve } from 'node:path';
import { defineReadmeServerSuite } from '@mapp-s2s/adapter-tests';

defineReadmeServerSuite({ heading: '### Express (4 and 5)', packageDir: resolve(__dirname, '..'), name: 'readme-express' });
