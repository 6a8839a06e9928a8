/**
 * The gateway's `/metrics`: the series named in GATEWAY_METRICS on a registry of its own (so
 * two gateways in one process, as in tests, do not collide), plus the prediction log's health.
 * Children are cached per label set: prom-client builds a key string on every `labels()` call.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { GATEWAY_METRICS, type RouteTable } from './gateway-contract.js';
import type { LogCounters } from './prediction-log-buffer.js';

/** prom-client's defaults (5 ms .. 10 s) plus 1 and 2 ms, for in-process and same-host models. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const SCORE_BUCKETS = Array.from({ length: 20 }, (_, i) => Number(((i + 1) * 0.05).toFixed(2)));

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: GATEWAY_METRICS.requests, help: 'Inference requests through the gateway', labelNames: ['model', 'version', 'code'], registers: [this.registry] });
  private readonly latency = new Histogram({ name: GATEWAY_METRICS.latency, help: 'Time from request to upstream answer, seconds', labelNames: ['model', 'version'], buckets: LATENCY_BUCKETS_SECONDS, registers: [this.registry] });
  private readonly score = new Histogram({ name: GATEWAY_METRICS.score, help: 'Predicted probability of the positive class, per row', labelNames: ['model', 'version'], buckets: SCORE_BUCKETS, registers: [this.registry] });
  private readonly feedback = new Counter({ name: GATEWAY_METRICS.feedback, help: 'Labels matched to a prediction', labelNames: ['model', 'version', 'correct'], registers: [this.registry] });
  private readonly weight = new Gauge({ name: GATEWAY_METRICS.weight, help: 'Percent of traffic routed to the version', labelNames: ['model', 'version'], registers: [this.registry] });
  private readonly kpiReports = new Counter({ name: GATEWAY_METRICS.kpiReports, help: 'Requests that reported a business KPI through the feedback API', labelNames: ['model', 'version', 'kpi'], registers: [this.registry] });
  private readonly kpiValue = new Counter({ name: GATEWAY_METRICS.kpiValue, help: 'Sum of the absolute KPI values, by sign (sum = positive - negative)', labelNames: ['model', 'version', 'kpi', 'sign'], registers: [this.registry] });
  private readonly kpiSquares = new Counter({ name: GATEWAY_METRICS.kpiSquares, help: 'Sum of the squared KPI values', labelNames: ['model', 'version', 'kpi'], registers: [this.registry] });
  private readonly children = new Map<string, { latency: Histogram.Internal<string>; score: Histogram.Internal<string>; codes: Map<number, Counter.Internal> }>();

  private readonly weightedVersions = new Map<string, number[]>();

  constructor(logCounters: () => { predictions: LogCounters; labels: LogCounters; kpis: LogCounters }) {
    const logs = () => Object.entries(logCounters()) as [string, LogCounters][];
    new Gauge({
      name: 'mlops_gateway_log_buffered_rows',
      help: 'Rows waiting for the next flush of the prediction, label or KPI log',
      labelNames: ['log'],
      registers: [this.registry],
      collect() {
        for (const [log, counters] of logs()) this.set({ log }, counters.bufferedRows);
      },
    });
    new Gauge({
      name: 'mlops_gateway_log_last_flush_seconds',
      help: 'Duration of the last flush of the prediction or label log',
      labelNames: ['log'],
      registers: [this.registry],
      collect() {
        for (const [log, counters] of logs()) if (counters.lastFlushMs !== null) this.set({ log }, counters.lastFlushMs / 1000);
      },
    });
    for (const [field, name, help] of [
      ['writtenRows', 'mlops_gateway_log_written_rows_total', 'Rows written to the prediction or label log'],
      ['droppedRows', 'mlops_gateway_log_dropped_rows_total', 'Rows dropped because writing the log fell behind its memory bound'],
      ['failedFlushes', 'mlops_gateway_log_failed_flushes_total', 'Log file writes that failed (their rows are retried)'],
    ] as const) {
      new Counter({
        name,
        help,
        labelNames: ['log'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [log, counters] of logs()) this.inc({ log }, counters[field]);
        },
      });
    }
    collectDefaultMetrics({ register: this.registry, prefix: 'mlops_gateway_' });
  }

  observeRequest(model: string, version: number, code: number, latencyMs: number, scores: readonly (number | null)[]): void {
    const key = `${model}\u0000${version}`;
    let child = this.children.get(key);
    if (!child) {
      const labels = { model, version: String(version) };
      child = { latency: this.latency.labels(labels), score: this.score.labels(labels), codes: new Map() };
      this.children.set(key, child);
    }
    let counter = child.codes.get(code);
    if (!counter) child.codes.set(code, (counter = this.requests.labels({ model, version: String(version), code: String(code) })));
    counter.inc();
    child.latency.observe(latencyMs / 1000);
    for (const score of scores) if (score !== null) child.score.observe(score);
  }

  observeKpi(model: string, version: number, kpi: string, value: number): void {
    const labels = { model, version: String(version), kpi };
    this.kpiReports.inc(labels);
    if (value !== 0) this.kpiValue.inc({ ...labels, sign: value > 0 ? 'positive' : 'negative' }, Math.abs(value));
    if (value !== 0) this.kpiSquares.inc(labels, value * value);
  }

  observeFeedback(model: string, version: number, correct: boolean): void {
    this.feedback.inc({ model, version: String(version), correct: String(correct) });
  }

  /** Every routed version's weight; versions no longer routed are removed from the series. */
  setRouteWeights(table: RouteTable): void {
    for (const version of this.weightedVersions.get(table.model) ?? []) {
      if (!table.routes.some((route) => route.version === version)) this.weight.remove({ model: table.model, version: String(version) });
    }
    for (const route of table.routes) this.weight.set({ model: table.model, version: String(route.version) }, route.weight);
    this.weightedVersions.set(table.model, table.routes.map((route) => route.version));
  }
}
