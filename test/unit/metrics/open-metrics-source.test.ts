import { describe, expect, it } from 'vitest';
import { GatewayMetricsSource } from '../../../src/metrics/gateway-metrics.js';
import { openMetricsSource } from '../../../src/metrics/open-metrics-source.js';
import { PrometheusMetricsSource } from '../../../src/metrics/prometheus-metrics.js';
import { DeploySection } from '../../../src/spec/schema.js';

const gateway = { url: 'http://127.0.0.1:8080', token: 'secret' };

describe('openMetricsSource', () => {
  it('reads the gateway stats API by default', () => {
    const deploy = DeploySection.parse({});
    expect(openMetricsSource(deploy.metrics, gateway)).toBeInstanceOf(GatewayMetricsSource);
  });

  it('queries Prometheus when the definition names it', () => {
    const deploy = DeploySection.parse({ metrics: { kind: 'prometheus', url: 'http://127.0.0.1:9090' } });
    expect(openMetricsSource(deploy.metrics, gateway)).toBeInstanceOf(PrometheusMetricsSource);
  });
});
