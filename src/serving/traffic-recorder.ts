/**
 * What happens after an inference answer has gone out: the bodies are parsed once, and the
 * outcome feeds the window stats, the Prometheus series, the feedback index and the
 * prediction log. Nothing here runs before the client has its answer.
 */
import type { PredictionRecord } from './gateway-contract.js';
import type { FeedbackIndex } from './feedback-index.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { errorMessageOf, featureRowsOf, readOipBody, scoresOf } from './gateway-oip.js';
import type { PredictionLog } from './prediction-log.js';
import type { WindowStats } from './window-stats.js';

export interface ServedRequest {
  model: string;
  version: number;
  requestId: string;
  /** Epoch ms the request arrived. */
  timestampMs: number;
  latencyMs: number;
  /** The status the client got (502 for a transport failure). */
  status: number;
  requestBody: Buffer;
  /** Undefined when the upstream never answered. */
  responseBody: Buffer | undefined;
  /** The bodies' Inference-Header-Content-Length headers: set when binary tensors follow the JSON. */
  requestHeaderLength?: string;
  responseHeaderLength?: string;
  /** The gateway's own error (transport failure, timeout). */
  gatewayError?: string;
}

export interface TrafficSinks {
  stats: WindowStats;
  metrics: GatewayMetrics;
  feedbackIndex: FeedbackIndex;
  predictionLog: PredictionLog;
  onError: (error: unknown) => void;
}

/** Never throws: the answer is already out, and a logging fault must not turn into a 500. */
export function recordServedRequest(served: ServedRequest, sinks: TrafficSinks): void {
  try {
    record(served, sinks);
  } catch (error) {
    sinks.onError(error);
  }
}

/**
 * A mirrored (shadow) request: only its prediction rows, to the shadow log. It counts in no
 * stats, metrics or feedback index: no client saw its answer. Never throws.
 */
export function recordShadowRequest(served: ServedRequest, sinks: Pick<TrafficSinks, 'predictionLog' | 'onError'>): void {
  try {
    for (const record of predictionRecords(served).records) sinks.predictionLog.append(record);
  } catch (error) {
    sinks.onError(error);
  }
}

function record(served: ServedRequest, sinks: TrafficSinks): void {
  const { isError, scores, records } = predictionRecords(served);
  sinks.stats.recordRequest({
    model: served.model,
    version: served.version,
    timestampMs: served.timestampMs,
    latencyMs: served.latencyMs,
    isError,
    scores: scores.filter((score): score is number => score !== null),
  });
  sinks.metrics.observeRequest(served.model, served.version, served.status, served.latencyMs, scores);
  for (const row of records) {
    if (row.score !== null) sinks.feedbackIndex.remember(row.requestId, served.model, served.version, row.score, served.timestampMs);
    sinks.predictionLog.append(row);
  }
}

function predictionRecords(served: ServedRequest): { isError: boolean; scores: Array<number | null>; records: PredictionRecord[] } {
  const isError = served.status >= 500 || served.gatewayError !== undefined;
  const succeeded = served.status < 400 && served.gatewayError === undefined;
  // A request the model refused (4xx) is logged as one row without features: its body is not
  // trusted to describe rows (that is why it was refused), and the log keeps only well-formed
  // feature rows. A request that failed upstream (5xx, no answer) may be fine: its rows are kept.
  const refused = served.status >= 400 && served.status < 500 && served.gatewayError === undefined;
  const features = refused ? [{}] : featureRowsOf(readOipBody(served.requestBody, served.requestHeaderLength, 'inputs'));
  const response = served.responseBody === undefined ? undefined : readOipBody(served.responseBody, served.responseHeaderLength, 'outputs');
  const scores = succeeded ? scoresOf(response, features.length) : features.map(() => null);
  const error = served.gatewayError ?? (succeeded ? undefined : (errorMessageOf(response) ?? `upstream answered ${served.status}`));
  const records = features.map((row, index) => {
    const record: PredictionRecord = {
      requestId: features.length === 1 ? served.requestId : `${served.requestId}#${index}`,
      timestamp: Math.floor(served.timestampMs),
      model: served.model,
      version: served.version,
      status: served.status,
      latencyMs: served.latencyMs,
      score: scores[index] ?? null,
      features: row,
    };
    if (error !== undefined) record.error = error;
    return record;
  });
  return { isError, scores, records };
}
