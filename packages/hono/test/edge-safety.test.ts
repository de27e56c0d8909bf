import { join } from 'node:path';
import { defineEdgeSafetySuite } from '@mapp-s2s/adapter-tests';

// The main entry with the core's main entry bundled in; Hono itself is the app's.
defineEdgeSafetySuite({ name: '@mapp-s2s/hono', entry: join(__dirname, '../src/index.ts'), external: ['hono'] });
