/**
 * The traffic gateway's contract with the rest of the system: its admin API (routes and
 * weights), its stats API (what the gateway metrics adapter reads), the Prometheus series it
 * exports, and the prediction-log record. The gateway, the deploy adapters and the metrics
 * adapters all code against this file.
 */

/** One upstream version of a model behind the gateway. */
export interface RouteEntry {
  version: number;
  /** Base URL of the version's model server (Open Inference Protocol v2). */
  url: string;
  /** Integer percent; the weights of a model's routes sum to 100 (or all are 0 before the first). */
  weight: number;
}

export interface RouteTable {
  model: string;
  routes: RouteEntry[];
  /** Increases on every change; PUT with `ifRevision` is a compare-and-set. */
  revision: number;
  updatedAt: string;
  /**
   * Shadow traffic: this share of the requests is also sent to `version`, off the response path;
   * its answers are logged to the shadow log (`<dataDir>/shadow-predictions/`), never returned.
   */
  mirror?: { version: number; percent: number };
}

/**
 * Admin API (bearer token in `Authorization`):
 *   GET    /admin/models/{model}/routes                         → RouteTable (404 if unknown)
 *   GET    /admin/models/{model}/route-changes                  → { model, changes: RouteChangeRecord[] } (every revision, oldest first)
 *   PUT    /admin/models/{model}/versions/{version}  {url}      → RouteTable (adds at weight 0; same url again is a no-op)
 *   DELETE /admin/models/{model}/versions/{version}             → RouteTable (refused with 409 while its weight > 0)
 *   PUT    /admin/models/{model}/weights  SetWeightsRequest     → RouteTable (atomic; 400 unless the weights sum to 100)
 *   PUT    /admin/models/{model}/mirror  {version, percent}     → RouteTable (shadow traffic to a routed version; 1..100 %)
 *   DELETE /admin/models/{model}/mirror                         → RouteTable (no shadow traffic)
 *   GET    /admin/models/{model}/stats?windowSeconds=60         → ModelStats
 *          &complete=true: whole seconds only (the one in progress left out), ending at `asOf`
 *          &slowerThanMs=12.5: each version also counts its requests slower than that (slowerThan)
 */
export interface SetWeightsRequest {
  /** version → percent, for every routed version; versions left out get 0. */
  weights: Record<string, number>;
  /** Reject with 409 when the table changed since this revision. */
  ifRevision?: number;
}

/** Per-version numbers over a trailing window, computed by the gateway from its own traffic. */
export interface VersionStats {
  version: number;
  requests: number;
  /** Responses with status ≥ 500 or transport failures. */
  errors: number;
  errorRate: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  meanScore: number | null;
  /** Requests whose label arrived through the feedback API, and how many were predicted right. */
  labeled: number;
  correct: number;
  accuracy: number | null;
  /** Asked for with `slowerThanMs`: requests slower than that (at the latency histogram's 1% resolution). */
  slowerThan?: { thresholdMs: number; requests: number };
  /**
   * The sums behind the numbers above, so the stats of several gateway replicas add up to exactly
   * what one gateway carrying all their traffic would answer (quantiles included).
   */
  mergeable?: { latencyBuckets: [number, number][]; scoreSum: number; scoreCount: number };
  /**
   * Business KPIs fed back per request (`kpis` in the feedback body), counted in the second the
   * feedback arrived, per name: how many requests reported it and the sums of its values. Only
   * names that were reported in the window appear.
   */
  kpis?: Record<string, KpiSums>;
}

/** The sums behind a KPI's mean and variance for one version; they add across windows and replicas. */
export interface KpiSums {
  count: number;
  sum: number;
  sumSquares: number;
}

/** KPI names: what a Prometheus label value and a YAML key can both carry plainly. */
export const KPI_NAME_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;
/** At most this many KPIs in one feedback body, and this many distinct names per model in a gateway. */
export const MAX_KPIS_PER_FEEDBACK = 8;
export const MAX_KPI_NAMES_PER_MODEL = 32;

export interface ModelStats {
  model: string;
  windowSeconds: number;
  /** ISO time the window ends (the gateway's clock). */
  asOf: string;
  versions: VersionStats[];
}

/** Names of the series on the gateway's `/metrics` (prom-client), for the Prometheus adapter. */
export const GATEWAY_METRICS = {
  /** counter, labels: model, version, code */
  requests: 'mlops_gateway_requests_total',
  /** histogram (seconds), labels: model, version */
  latency: 'mlops_gateway_request_duration_seconds',
  /** histogram (probability), labels: model, version */
  score: 'mlops_gateway_prediction_score',
  /** counter, labels: model, version, correct ("true"|"false") */
  feedback: 'mlops_gateway_feedback_total',
  /** gauge, labels: model, version */
  weight: 'mlops_gateway_route_weight',
  /** counter, labels: model, version, kpi: requests that reported the KPI */
  kpiReports: 'mlops_gateway_kpi_reports_total',
  /** counter, labels: model, version, kpi, sign ("positive"|"negative"): sum of |value| (a counter cannot fall) */
  kpiValue: 'mlops_gateway_kpi_value_total',
  /** counter, labels: model, version, kpi: sum of value² */
  kpiSquares: 'mlops_gateway_kpi_squares_total',
} as const;

/** One row of the prediction log (one inference request through the gateway). */
export interface PredictionRecord {
  requestId: string;
  /** Epoch milliseconds. */
  timestamp: number;
  model: string;
  version: number;
  status: number;
  latencyMs: number;
  /** Probability of the positive class; null on error. */
  score: number | null;
  /** The request's feature values, one row (batched requests log one record per row). */
  features: Record<string, number | string | boolean | null>;
  error?: string;
}

/** Header a client may send to pin its requests to one version (sticky routing by key). */
export const ROUTING_KEY_HEADER = 'x-routing-key';
/** Header the gateway answers with: the version that served the request. */
export const SERVED_VERSION_HEADER = 'x-model-version';
/** Header carrying the request id (generated when absent); feedback refers to it. */
export const REQUEST_ID_HEADER = 'x-request-id';
