import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { MAPP_MATCHER, mappConfig } from '@mapp-s2s/next';
import { unstable_doesMiddlewareMatch } from 'next/experimental/testing/server.js';

const matches = (url: string): boolean => unstable_doesMiddlewareMatch({ config: { matcher: [...mappConfig.matcher] }, url });

describe('MAPP_MATCHER', () => {
  it.each(['/', '/cart', '/products/teapot', '/checkout/confirmation?order=A-1', '/admin', '/health', '/apiary', '/blog/v1.2/post'])(
    'runs the middleware for the page %s',
    (url) => {
      expect(matches(url)).toBe(true);
    },
  );

  it.each(['/_next/static/chunks/main.js', '/_next/image?url=%2Fa.png&w=64&q=75', '/favicon.ico', '/api', '/api/status', '/static/app.css', '/robots.txt', '/images/logo.svg'])(
    'skips %s',
    (url) => {
      expect(matches(url)).toBe(false);
    },
  );

  it('is written literally in the example proxy.ts and edge/middleware.ts (Next reads it at build time)', () => {
    const example = join(__dirname, '..', '..', '..', 'examples', 'next');
    for (const file of ['proxy.ts', join('edge', 'middleware.ts')]) {
      const source = readFileSync(join(example, file), 'utf8');
      expect(source).toContain(`matcher: ['${MAPP_MATCHER.replaceAll('\\', '\\\\')}']`);
    }
  });
});
