import { resolve } from 'node:path';
import { defineExampleStartSuite } from '@mapp-s2s/adapter-tests';

defineExampleStartSuite(resolve(__dirname, '../../../examples/nestjs'));
