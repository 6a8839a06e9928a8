/**
 * A prom-client exporter with exactly the series the gateway exports (GATEWAY_METRICS: names,
 * types and label names), so the Prometheus adapter can be tested before and apart from the
 * real gateway. Tests drive it with synthetic requests and know the true numbers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { GATEWAY_METRICS } from '../../src/serving/gateway-contract.js';

/** prom-client's default buckets (seconds), the gateway's latency buckets. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
export const SCORE_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] as const;

export interface SyntheticRequest {
  status: number;
  latencySeconds: number;
  /** Present for answered predictions. */
  score?: number;
  /** Present when feedback arrived: was the prediction right? */
  correct?: boolean;
}

export class SyntheticGatewayExporter {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: GATEWAY_METRICS.requests, help: 'requests', labelNames: ['model', 'version', 'code'], registers: [this.registry] });
  private readonly latency = new Histogram({ name: GATEWAY_METRICS.latency, help: 'latency', labelNames: ['model', 'version'], buckets: [...LATENCY_BUCKETS], registers: [this.registry] });
  private readonly score = new Histogram({ name: GATEWAY_METRICS.score, help: 'score', labelNames: ['model', 'version'], buckets: [...SCORE_BUCKETS], registers: [this.registry] });
  private readonly feedback = new Counter({ name: GATEWAY_METRICS.feedback, help: 'feedback', labelNames: ['model', 'version', 'correct'], registers: [this.registry] });
  private readonly weight = new Gauge({ name: GATEWAY_METRICS.weight, help: 'weight', labelNames: ['model', 'version'], registers: [this.registry] });
  private server?: Server;

  /**
   * A routed version. By default its series start at zero; `withTrafficSeries: false` leaves
   * them to appear with the first event, as the real gateway does.
   */
  route(model: string, version: number, weight: number, options: { withTrafficSeries?: boolean } = {}): void {
    const labels = { model, version: String(version) };
    this.weight.set(labels, weight);
    if (options.withTrafficSeries === false) return;
    for (const code of ['200', '500']) this.requests.inc({ ...labels, code }, 0);
    for (const correct of ['true', 'false']) this.feedback.inc({ ...labels, correct }, 0);
    this.latency.zero(labels);
    this.score.zero(labels);
  }

  /** Drops the version's request counters, as a gateway restart would: Prometheus sees a counter reset. */
  restart(model: string, version: number): void {
    for (const code of ['200', '500']) this.requests.remove({ model, version: String(version), code });
  }

  record(model: string, version: number, request: SyntheticRequest): void {
    const labels = { model, version: String(version) };
    this.requests.inc({ ...labels, code: String(request.status) });
    this.latency.observe(labels, request.latencySeconds);
    if (request.score !== undefined) this.score.observe(labels, request.score);
    if (request.correct !== undefined) this.feedback.inc({ ...labels, correct: String(request.correct) });
  }

  async listen(): Promise<string> {
    this.server = createServer((_req, res) => {
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections(); // a scraper's keep-alive connection would hold close() open
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
