import { defineAdapterSuite } from '@mapp-s2s/adapter-tests';
import { startExample } from './next-app';

// The built example (`next build` + `next start`) against the shared conformance suite, once
// per runtime: proxy.ts on Node.js and the Edge middleware.ts variant (examples/next/.edge).
defineAdapterSuite({
  name: 'next 16 proxy.ts, Node.js runtime (examples/next)',
  startShop: (env) => startExample('node', env),
});

defineAdapterSuite({
  name: 'next 16 middleware.ts, Edge runtime (examples/next/.edge)',
  startShop: (env) => startExample('edge', env),
});
