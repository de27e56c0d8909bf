import { join } from 'node:path';
import { defineEdgeSafetySuite } from '@mapp-s2s/adapter-tests';

defineEdgeSafetySuite({ name: 'the main entry', entry: join(__dirname, '../src/index.ts') });
