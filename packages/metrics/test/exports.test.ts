import { expect, it } from '@jest/globals';
import * as metrics from '../src/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

it('exports exactly the public API', () => {
  expect(Object.keys(metrics).sort()).toEqual(['registerOpenTelemetryMetrics', 'registerPrometheusMetrics']);
});

it('needs neither prom-client nor @opentelemetry/api installed: both are optional peers', () => {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { peerDependenciesMeta: unknown; dependencies: Record<string, string> };
  expect(manifest.peerDependenciesMeta).toEqual({ '@opentelemetry/api': { optional: true }, 'prom-client': { optional: true } });
  expect(Object.keys(manifest.dependencies)).toEqual(['@mapp-s2s/core']);
});
