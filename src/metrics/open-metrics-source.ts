/**
 * The one place that turns the pipeline definition's `deploy.metrics` section into an adapter.
 */
import type { MetricsSection } from '../spec/schema.js';
import { GatewayMetricsSource } from './gateway-metrics.js';
import { ReplicatedGatewayMetricsSource } from './replicated-gateway-metrics.js';
import type { MetricsSource } from './metrics-source.js';
import { PrometheusMetricsSource } from './prometheus-metrics.js';

/** `gateway` is the traffic gateway (`deploy.gateway.url`, or every replica of `urls`) and its admin token's value. */
export function openMetricsSource(section: MetricsSection, gateway: { url: string | readonly string[]; token: string }): MetricsSource {
  switch (section.kind) {
    case 'gateway': {
      const urls = typeof gateway.url === 'string' ? [gateway.url] : [...new Set(gateway.url)];
      return urls.length === 1 ? new GatewayMetricsSource(urls[0]!, gateway.token) : new ReplicatedGatewayMetricsSource(urls, gateway.token);
    }
    case 'prometheus':
      return new PrometheusMetricsSource(section.url);
  }
}
