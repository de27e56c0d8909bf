import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLine } from '../src/hit.js';
import { SENDER_VERSION, senderPlatform, type RuntimeGlobals } from '../src/version.js';
import { parseLine } from './helpers.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')) as { version: string }).version;
const NODE = { process: { versions: { node: '22.11.0' } } };

describe('sender identification (cs801/cs802, docs/protocol.md §3)', () => {
  it("names this library and the package.json version in cs801 (never a bare version like the official libraries')", () => {
    expect(SENDER_VERSION).toBe(`mapp-s2s-${PACKAGE_VERSION}`);
    expect(SENDER_VERSION).not.toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each<[string, RuntimeGlobals, string]>([
    ['Node', NODE, 'Node'],
    ['the Next.js Edge runtime', { EdgeRuntime: 'edge-runtime' }, 'Edge'],
    ['the Next.js Edge runtime with a process polyfill', { EdgeRuntime: 'edge-runtime', ...NODE }, 'Edge'],
    ['Cloudflare Workers with nodejs_compat', { navigator: { userAgent: 'Cloudflare-Workers' }, ...NODE }, 'Edge'],
    ['Bun (which also has process.versions.node)', { Bun: {}, ...NODE }, 'Bun'],
    ['Deno (which also has process.versions.node)', { Deno: {}, ...NODE }, 'Deno'],
    ['Node 21+ (navigator.userAgent Node.js/22)', { navigator: { userAgent: 'Node.js/22' }, ...NODE }, 'Node'],
    ['an unknown runtime without Node', { navigator: { userAgent: 'Mozilla/5.0' } }, 'Edge'],
  ])('detects %s', (_label, globals, expected) => {
    expect(senderPlatform(globals)).toBe(expected);
  });

  it('sends both on every line, cs802 from the runtime it runs in (Node under jest)', () => {
    const result = buildLine({ pageName: 'home', time: 1730181123123, referrer: '0', anonymous: false });
    const { params } = parseLine(result.line);
    expect([params.get('cs801'), params.get('cs802')]).toEqual([SENDER_VERSION, senderPlatform()]);
    expect(params.get('cs802')).toBe('Node');
  });
});
