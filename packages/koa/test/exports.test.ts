import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import ts from 'typescript';
import * as adapter from '../src/index.js';

/** Every name `src/index.ts` exports, types included, as the TypeScript checker sees them. */
function exportedNames(): string[] {
  const configPath = join(__dirname, '..', 'tsconfig.json');
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, join(__dirname, '..'));
  const entry = join(__dirname, '..', 'src', 'index.ts');
  const program = ts.createProgram([entry], { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  return checker.getExportsOfModule(symbol).map((item) => item.name).sort();
}

describe('@mapp-s2s/koa exports', () => {
  it('exports exactly these runtime values', () => {
    expect(Object.keys(adapter).sort()).toEqual(['NoTracking', 'TrackAs', 'mappPixelProxy', 'mappTracking', 'noTracking', 'trackEvent', 'trackPage']);
  });

  it('exports exactly these names, types included', () => {
    expect(exportedNames()).toEqual([
      'ConsentLevel',
      'CookieOptions',
      'HitData',
      'KoaPixelProxyOptions',
      'KoaTrackingOptions',
      'Logger',
      'MappPixelProxyMiddleware',
      'MappStateHelpers',
      'MappTrackingMiddleware',
      'NoTracking',
      'OrderData',
      'PageData',
      'PageHitData',
      'ProductData',
      'RequestContext',
      'TrackAs',
      'TrackResult',
      'Tracker',
      'TrackerEvent',
      'TrackerOptions',
      'TrackingDecorator',
      'TrackingErrorHandler',
      'TrustProxy',
      'Visit',
      'mappPixelProxy',
      'mappTracking',
      'noTracking',
      'trackEvent',
      'trackPage',
    ]);
  });
});
