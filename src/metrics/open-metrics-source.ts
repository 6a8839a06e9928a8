/**
 * The one place that turns the pipeline definition's `deploy.metrics` section into an adapter.
 */
import type { MetricsSection } from '../spec/schema.js';
import { GatewayMetricsSource } from './gateway-metrics.js';
import type { MetricsSource } from './metrics-source.js';
import { PrometheusMetricsSource } from './prometheus-metrics.js';

/** `gateway` is the traffic gateway (`deploy.gateway.url`) and its admin token's value. */
export function openMetricsSource(section: MetricsSection, gateway: { url: string; token: string }): MetricsSource {
  switch (section.kind) {
    case 'gateway':
      return new GatewayMetricsSource(gateway.url, gateway.token);
    case 'prometheus':
      return new PrometheusMetricsSource(section.url);
  }
}
