export { registerPrometheusMetrics } from './prometheus.js';
export type { PrometheusMetricsOptions } from './prometheus.js';
export { registerOpenTelemetryMetrics } from './opentelemetry.js';
export type { OpenTelemetryMetricsOptions } from './opentelemetry.js';
export type { MetricsSource, RegisteredMetrics } from './source.js';
