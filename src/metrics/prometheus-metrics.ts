/**
 * Metrics adapter over Prometheus' HTTP API (`/api/v1/query`), reading the series the gateway
 * exports (GATEWAY_METRICS in src/serving/gateway-contract.ts).
 *
 * Counting events in the window. `increase(c[W])` is an estimate: it extrapolates from the
 * first and last samples to the window's edges, and a series whose first scrape already holds
 * events (the gateway creates a series with its first event, e.g. when a canary gets its first
 * request) keeps those events only when they are fewer than ~1.1 average scrape increments.
 * Against the real gateway that lost 10 % of a version's requests. So a count is the exact
 * difference of two scrapes instead:
 *   last_over_time(c[W]) - last_over_time(c[5m] offset W)   the series existed before the window
 *   or last_over_time(c[W])                                   born in the window: counters start at 0
 * (`last_over_time` skips the stale markers a failed scrape leaves), except for series whose
 * counter reset in the window (a gateway restart: `resets(c[W]) > 0`), which fall back to
 * `increase(c[W])`. The window thereby runs from the last scrape before now−W to the last
 * scrape: counts are exact integers over that span, off from "the last W seconds" only by
 * events within one scrape interval of the edges. After a restart the count is increase()'s
 * estimate (rounded). Histograms use the same per-bucket counts.
 *
 * How Prometheus' answers map to numbers:
 * - Every query of one call is evaluated at the same `time`.
 * - An empty result means "no series had samples in the window". For the request counter that
 *   is zero requests when Prometheus still knows the version (its request counter or route
 *   weight gauge had a sample in the window); otherwise Prometheus is not scraping the gateway
 *   or the version is not routed, and that is MetricsUnavailableError, never a silent zero.
 *   Empty error and feedback counters are zero (the series appear with the first event).
 * - `"NaN"` (0/0: no requests, no observations) and ±Inf become null. `histogram_quantile`
 *   interpolates linearly inside a bucket and caps at the top finite bucket bound, so latency
 *   quantiles are as precise as the gateway's histogram buckets.
 * - 400 `bad_data` is PrometheusQueryError (our query is wrong); other failures (unreachable,
 *   timeouts, 422 `execution`, 503) are MetricsUnavailableError with Prometheus' reason.
 */
import { GATEWAY_METRICS, type KpiSums } from '../serving/gateway-contract.js';
import { answersOk, bodyOrUnavailable, fetchOrUnavailable } from './fetch-or-unavailable.js';
import { MetricsUnavailableError, type MetricsSource, type VersionMetrics, type VersionMetricsOptions } from './metrics-source.js';

export interface PrometheusMetricsOptions {
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
/** Status codes the gateway counts as errors (the stats API's `errors`: status ≥ 500). */
const ERROR_CODES = '5..';

/** Prometheus refused the query itself (400 `bad_data`): a bug in the query, not an outage. */
export class PrometheusQueryError extends MetricsUnavailableError {
  constructor(readonly query: string, readonly errorType: string, readonly reason: string) {
    super(`Prometheus rejected the query (${errorType}: ${reason}): ${query}`);
    // The port's error type is a literal; the subclass still reports its own name.
    Object.defineProperty(this, 'name', { value: 'PrometheusQueryError' });
  }
}

/** One instant query's answer: no series at all, or one number (null for NaN and ±Inf). */
export type InstantAnswer = { kind: 'empty' } | { kind: 'value'; value: number | null };

/** How far before the window a counter's previous scrape is looked for (Prometheus' default lookback). */
const PREVIOUS_SCRAPE_LOOKBACK = '5m';

/** PromQL for the events each series of counter `series` gained in the window (see the file comment). */
export function windowCount(series: string, range: string): string {
  const last = `last_over_time(${series}[${range}])`;
  const exact = `((${last} - last_over_time(${series}[${PREVIOUS_SCRAPE_LOOKBACK}] offset ${range})) or ${last})`;
  return `((${exact} unless resets(${series}[${range}]) > 0) or increase(${series}[${range}]))`;
}

/** The PromQL for one version of a model over a trailing window. */
export function gatewayQueries(model: string, version: number, windowSeconds: number) {
  const range = promDuration(windowSeconds);
  const selector = (extra = '') => `{model=${promString(model)},version=${promString(String(version))}${extra}}`;
  const counted = (name: string, extra = '') => `sum(${windowCount(`${name}${selector(extra)}`, range)})`;
  const latency = (q: number) => `histogram_quantile(${q}, sum by (le) (${windowCount(`${GATEWAY_METRICS.latency}_bucket${selector()}`, range)}))`;
  return {
    requests: counted(GATEWAY_METRICS.requests),
    errors: counted(GATEWAY_METRICS.requests, `,code=~"${ERROR_CODES}"`),
    latencyP50: latency(0.5),
    latencyP99: latency(0.99),
    meanScore: `${counted(`${GATEWAY_METRICS.score}_sum`)} / ${counted(`${GATEWAY_METRICS.score}_count`)}`,
    labeled: counted(GATEWAY_METRICS.feedback),
    correct: counted(GATEWAY_METRICS.feedback, ',correct="true"'),
    /** The sums behind a business KPI's mean and variance (GATEWAY_METRICS.kpi*). */
    kpi: (name: string) => ({
      reports: counted(GATEWAY_METRICS.kpiReports, `,kpi=${promString(name)}`),
      positive: counted(GATEWAY_METRICS.kpiValue, `,kpi=${promString(name)},sign="positive"`),
      negative: counted(GATEWAY_METRICS.kpiValue, `,kpi=${promString(name)},sign="negative"`),
      squares: counted(GATEWAY_METRICS.kpiSquares, `,kpi=${promString(name)}`),
    }),
    /** Non-empty when Prometheus had any sample of the version's request counter or route weight in the window. */
    known:
      `count(count_over_time(${GATEWAY_METRICS.requests}${selector()}[${range}]))` +
      ` or count(count_over_time(${GATEWAY_METRICS.weight}${selector()}[${range}]))`,
  };
}

export class PrometheusMetricsSource implements MetricsSource {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: PrometheusMetricsOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async versionMetrics(model: string, version: number, windowSeconds: number, options: VersionMetricsOptions = {}): Promise<VersionMetrics> {
    if (!(windowSeconds > 0) || !Number.isFinite(windowSeconds)) {
      throw new RangeError(`windowSeconds must be a positive number, got ${windowSeconds}`);
    }
    const queries = gatewayQueries(model, version, windowSeconds);
    const at = Date.now() / 1000;
    const [requests, errors, latencyP50, latencyP99, meanScore, labeled, correct] = await Promise.all([
      this.query(queries.requests, at),
      this.query(queries.errors, at),
      this.query(queries.latencyP50, at),
      this.query(queries.latencyP99, at),
      this.query(queries.meanScore, at),
      this.query(queries.labeled, at),
      this.query(queries.correct, at),
    ]);
    if (requests.kind === 'empty' && (await this.query(queries.known, at)).kind === 'empty') {
      throw new MetricsUnavailableError(
        `Prometheus at ${this.baseUrl} has no samples of ${GATEWAY_METRICS.requests} or ${GATEWAY_METRICS.weight} ` +
          `for model "${model}" version ${version} in the last ${windowSeconds} s: is it scraping the gateway, and is the version routed?`,
      );
    }
    const kpis: Record<string, KpiSums> = {};
    for (const name of options.kpis ?? []) {
      const q = queries.kpi(name);
      const [reports, positive, negative, squares] = await Promise.all([q.reports, q.positive, q.negative, q.squares].map((promql) => this.query(promql, at)));
      const count = Math.round(countOf(reports!));
      if (count > 0) kpis[name] = { count, sum: countOf(positive!) - countOf(negative!), sumSquares: countOf(squares!) };
    }
    const requestCount = countOf(requests);
    const errorCount = countOf(errors);
    const labeledCount = countOf(labeled);
    const correctCount = countOf(correct);
    return {
      version,
      // Whole numbers already, except increase()'s estimates after a counter reset.
      requests: Math.round(requestCount),
      errors: Math.round(errorCount),
      errorRate: ratio(errorCount, requestCount),
      latencyP50Ms: milliseconds(latencyP50),
      latencyP99Ms: milliseconds(latencyP99),
      meanScore: meanScore.kind === 'value' ? meanScore.value : null,
      labeled: Math.round(labeledCount),
      correct: Math.round(correctCount),
      accuracy: ratio(correctCount, labeledCount),
      ...(Object.keys(kpis).length > 0 ? { kpis } : {}),
    };
  }

  async isOnline(): Promise<boolean> {
    return answersOk(`${this.baseUrl}/-/ready`, this.timeoutMs);
  }

  /** Runs one instant query (at `atSeconds`, default now) that yields a scalar or at most one sample. */
  async query(promql: string, atSeconds?: number): Promise<InstantAnswer> {
    const params = new URLSearchParams({ query: promql });
    if (atSeconds !== undefined) params.set('time', atSeconds.toFixed(3));
    const url = `${this.baseUrl}/api/v1/query?${params}`;
    const backend = `Prometheus at ${this.baseUrl}`;
    const response = await fetchOrUnavailable(backend, url, { accept: 'application/json' }, this.timeoutMs);
    const body = await bodyOrUnavailable(backend, url, response);
    let answer: PrometheusAnswer;
    try {
      answer = JSON.parse(body) as PrometheusAnswer;
    } catch {
      throw new MetricsUnavailableError(`${backend} answered ${response.status} with a body that is not JSON: ${body.slice(0, 200)}`);
    }
    if (answer.status !== 'success' || !response.ok) {
      const errorType = answer.errorType ?? `HTTP ${response.status}`;
      const reason = answer.error ?? body.slice(0, 200);
      if (response.status === 400 && errorType === 'bad_data') throw new PrometheusQueryError(promql, errorType, reason);
      throw new MetricsUnavailableError(`${backend} answered ${response.status} (${errorType}: ${reason}) to ${promql}`);
    }
    return instantAnswerOf(answer.data, promql);
  }
}

interface PrometheusAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

function instantAnswerOf(data: PrometheusAnswer['data'], promql: string): InstantAnswer {
  const result = data?.result;
  if (data?.resultType === 'scalar' && Array.isArray(result)) return { kind: 'value', value: sampleValue(result[1]) };
  if (data?.resultType === 'vector' && Array.isArray(result)) {
    if (result.length === 0) return { kind: 'empty' };
    if (result.length === 1) return { kind: 'value', value: sampleValue((result[0] as { value?: unknown[] }).value?.[1]) };
    throw new MetricsUnavailableError(`Prometheus answered ${result.length} series where one was expected: ${promql}`);
  }
  throw new MetricsUnavailableError(`Prometheus answered an unexpected ${data?.resultType ?? 'missing'} result to ${promql}`);
}

/** Prometheus sends sample values as strings: "12.5", "NaN", "+Inf", "-Inf". */
function sampleValue(raw: unknown): number | null {
  const value = typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isFinite(value) ? value : null;
}

/** An empty counter query is zero events; a count is never NaN, so null is zero too. */
function countOf(answer: InstantAnswer): number {
  return answer.kind === 'value' && answer.value !== null ? Math.max(0, answer.value) : 0;
}

/** A share of events; capped at 1 because increase()'s estimates after a restart can disagree slightly. */
function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? Math.min(1, numerator / denominator) : null;
}

function milliseconds(answer: InstantAnswer): number | null {
  return answer.kind === 'value' && answer.value !== null ? answer.value * 1000 : null;
}

/** Whole seconds as `60s`, anything finer as milliseconds (`1500ms`). */
function promDuration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.max(1, Math.round(seconds * 1000))}ms`;
}

/** A PromQL double-quoted string literal (Go escaping). */
function promString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
