/**
 * The model server's Prometheus series, in a registry of its own (never prom-client's global
 * one), so several servers in one process — tests, benchmarks — do not share counters.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Names of the series on the model server's `/metrics`. */
export const MODEL_SERVER_METRICS = {
  /** counter, labels: model, version, code (HTTP status); inference routes only, 404s and 400s included */
  requests: 'mlops_model_requests_total',
  /** histogram (seconds, injected latency included), labels: model, version */
  latency: 'mlops_model_request_duration_seconds',
  /** histogram (probability, one observation per scored row), labels: model, version */
  score: 'mlops_model_prediction_score',
} as const;

/** Sub-millisecond buckets too: a single-row request takes tens of microseconds to score. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** 0.05, 0.10, … 1.00 */
const SCORE_BUCKETS = Array.from({ length: 20 }, (_, i) => (i + 1) / 20);

export interface ModelServerMetrics {
  readonly registry: Registry;
  recordRequest(statusCode: number, seconds: number): void;
  recordScores(probabilities: Float64Array): void;
}

export function createModelServerMetrics(model: string, version: number, options: { processMetrics?: boolean } = {}): ModelServerMetrics {
  const registry = new Registry();
  const labels = { model, version: String(version) };
  const requests = new Counter({ name: MODEL_SERVER_METRICS.requests, help: 'Inference requests answered, by HTTP status code', labelNames: ['model', 'version', 'code'], registers: [registry] });
  const latency = new Histogram({ name: MODEL_SERVER_METRICS.latency, help: 'Time to answer an inference request', labelNames: ['model', 'version'], buckets: LATENCY_BUCKETS, registers: [registry] });
  const score = new Histogram({ name: MODEL_SERVER_METRICS.score, help: 'Predicted probability of the positive class, per row', labelNames: ['model', 'version'], buckets: SCORE_BUCKETS, registers: [registry] });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  // Label lookups resolved once: the hot path only increments.
  const latencyChild = latency.labels(labels);
  const scoreChild = score.labels(labels);
  const requestsByCode = new Map<number, ReturnType<typeof requests.labels>>();

  return {
    registry,
    recordRequest(statusCode, seconds) {
      let child = requestsByCode.get(statusCode);
      if (child === undefined) {
        child = requests.labels({ ...labels, code: String(statusCode) });
        requestsByCode.set(statusCode, child);
      }
      child.inc();
      latencyChild.observe(seconds);
    },
    recordScores(probabilities) {
      for (let i = 0; i < probabilities.length; i++) scoreChild.observe(probabilities[i]!);
    },
  };
}
