import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MetricsUnavailableError } from '../../../src/metrics/metrics-source.js';
import { gatewayQueries, PrometheusMetricsSource, PrometheusQueryError, windowCount } from '../../../src/metrics/prometheus-metrics.js';
import { sendJson, startStubHttpServer, unusedUrl, type StubHttpServer } from './stub-http-server.js';

const queries = gatewayQueries('churn', 2, 60);
type QueryName = keyof typeof queries;

/** Prometheus' instant-query answer for one sample (or none). */
const vector = (value?: string) => ({
  status: 'success',
  data: { resultType: 'vector', result: value === undefined ? [] : [{ metric: {}, value: [1735689600.123, value] }] },
});

describe('gatewayQueries', () => {
  const sel = '{model="churn",version="2"}';
  const count = (series: string) => windowCount(series, '60s');

  it('counts a counter as the difference of two scrapes, from zero for a new series, with increase() after a reset', () => {
    const c = `mlops_gateway_requests_total${sel}`;
    expect(queries.requests).toBe(
      `sum(((((last_over_time(${c}[60s]) - last_over_time(${c}[5m] offset 60s)) or last_over_time(${c}[60s]))` +
        ` unless resets(${c}[60s]) > 0) or increase(${c}[60s])))`,
    );
  });

  it('writes the PromQL over the GATEWAY_METRICS series', () => {
    const { kpi, ...fixed } = queries;
    expect(kpi('clicked')).toEqual({
      reports: `sum(${count('mlops_gateway_kpi_reports_total{model="churn",version="2",kpi="clicked"}')})`,
      positive: `sum(${count('mlops_gateway_kpi_value_total{model="churn",version="2",kpi="clicked",sign="positive"}')})`,
      negative: `sum(${count('mlops_gateway_kpi_value_total{model="churn",version="2",kpi="clicked",sign="negative"}')})`,
      squares: `sum(${count('mlops_gateway_kpi_squares_total{model="churn",version="2",kpi="clicked"}')})`,
    });
    expect(fixed).toEqual({
      requests: `sum(${count(`mlops_gateway_requests_total${sel}`)})`,
      errors: `sum(${count('mlops_gateway_requests_total{model="churn",version="2",code=~"5.."}')})`,
      latencyP50: `histogram_quantile(0.5, sum by (le) (${count(`mlops_gateway_request_duration_seconds_bucket${sel}`)}))`,
      latencyP99: `histogram_quantile(0.99, sum by (le) (${count(`mlops_gateway_request_duration_seconds_bucket${sel}`)}))`,
      meanScore: `sum(${count(`mlops_gateway_prediction_score_sum${sel}`)}) / sum(${count(`mlops_gateway_prediction_score_count${sel}`)})`,
      labeled: `sum(${count(`mlops_gateway_feedback_total${sel}`)})`,
      correct: `sum(${count('mlops_gateway_feedback_total{model="churn",version="2",correct="true"}')})`,
      known: `count(count_over_time(mlops_gateway_requests_total${sel}[60s])) or count(count_over_time(mlops_gateway_route_weight${sel}[60s]))`,
    });
  });

  it('escapes label values and writes sub-second windows in milliseconds', () => {
    expect(gatewayQueries('a"b\\c', 1, 1.5).requests).toContain('increase(mlops_gateway_requests_total{model="a\\"b\\\\c",version="1"}[1500ms])');
  });
});

describe('PrometheusMetricsSource', () => {
  let prometheus: StubHttpServer;
  let source: PrometheusMetricsSource;
  let answers: Partial<Record<QueryName, unknown>>;

  beforeAll(async () => {
    prometheus = await startStubHttpServer();
    source = new PrometheusMetricsSource(prometheus.url, { timeoutMs: 300 });
  });
  afterAll(() => prometheus.close());
  beforeEach(() => {
    prometheus.requests.length = 0;
    answers = {};
    prometheus.answer((request, response) => {
      if (request.url.pathname === '/-/ready') return response.writeHead(200).end('Prometheus Server is Ready.\n');
      const query = request.url.searchParams.get('query');
      const name = (Object.keys(queries) as QueryName[]).find((key) => queries[key] === query);
      if (request.url.pathname !== '/api/v1/query' || !name) return sendJson(response, 400, { status: 'error', errorType: 'bad_data', error: 'unexpected' });
      sendJson(response, 200, answers[name] ?? vector());
    });
  });

  it('turns the answers into version metrics: rounded counts, rates of the raw increases, NaN as null', async () => {
    answers = {
      requests: vector('100.8'), errors: vector('2.016'), latencyP50: vector('0.0125'), latencyP99: vector('NaN'),
      meanScore: vector('0.375'), labeled: vector('10.2'), correct: vector('8.16'),
    };
    await expect(source.versionMetrics('churn', 2, 60)).resolves.toEqual({
      version: 2, requests: 101, errors: 2, errorRate: expect.closeTo(0.02, 12), latencyP50Ms: 12.5, latencyP99Ms: null,
      meanScore: 0.375, labeled: 10, correct: 8, accuracy: expect.closeTo(0.8, 12),
    });
    const times = new Set(prometheus.requests.map((request) => request.url.searchParams.get('time')));
    expect(times.size).toBe(1); // one evaluation time: every number describes the same window
    expect(prometheus.requests.some((request) => request.url.searchParams.get('query') === queries.known)).toBe(false);
  });

  it('reads an empty request counter as zero requests while Prometheus still knows the version', async () => {
    answers = { known: vector('1'), meanScore: vector('NaN') };
    await expect(source.versionMetrics('churn', 2, 60)).resolves.toEqual({
      version: 2, requests: 0, errors: 0, errorRate: null, latencyP50Ms: null, latencyP99Ms: null,
      meanScore: null, labeled: 0, correct: 0, accuracy: null,
    });
  });

  it('reports no series at all for the version as unavailable, not as zero', async () => {
    const error = await source.versionMetrics('churn', 2, 60).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MetricsUnavailableError);
    expect((error as Error).message).toMatch(/no samples of mlops_gateway_requests_total or mlops_gateway_route_weight for model "churn" version 2 in the last 60 s/);
  });

  it('reports a rejected query (400 bad_data) as PrometheusQueryError with the query', async () => {
    const error = await source.query('sum(').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect(error).toBeInstanceOf(MetricsUnavailableError);
    expect(error).toMatchObject({ name: 'PrometheusQueryError', query: 'sum(', errorType: 'bad_data' });
  });

  it('reports execution errors, overload and non-JSON answers as unavailable with the reason', async () => {
    prometheus.answer((_request, response) => sendJson(response, 422, { status: 'error', errorType: 'execution', error: 'query processing would load too many samples' }));
    const execution = await source.versionMetrics('churn', 2, 60).catch((err: unknown) => err);
    expect(execution).toBeInstanceOf(MetricsUnavailableError);
    expect(execution).not.toBeInstanceOf(PrometheusQueryError);
    expect((execution as Error).message).toMatch(/answered 422 \(execution: query processing would load too many samples\)/);

    prometheus.answer((_request, response) => sendJson(response, 503, { status: 'error', errorType: 'unavailable', error: 'TSDB not ready' }));
    await expect(source.versionMetrics('churn', 2, 60)).rejects.toThrow(/answered 503 \(unavailable: TSDB not ready\)/);

    prometheus.answer((_request, response) => response.writeHead(502).end('upstream down'));
    await expect(source.versionMetrics('churn', 2, 60)).rejects.toThrow(/answered 502 with a body that is not JSON: upstream down/);
  });

  it('refuses an answer with several series where one sum was expected', async () => {
    prometheus.answer((_request, response) =>
      sendJson(response, 200, { status: 'success', data: { resultType: 'vector', result: [{ metric: { a: '1' }, value: [0, '1'] }, { metric: { a: '2' }, value: [0, '2'] }] } }));
    await expect(source.query('x')).rejects.toThrow(/2 series where one was expected/);
  });

  it('reads scalars, NaN and infinities', async () => {
    const scalar = (value: string) => ({ status: 'success', data: { resultType: 'scalar', result: [0, value] } });
    for (const [raw, expected] of [['0.25', 0.25], ['NaN', null], ['+Inf', null], ['-Inf', null]] as const) {
      prometheus.answer((_request, response) => sendJson(response, 200, scalar(raw)));
      await expect(source.query('1')).resolves.toEqual({ kind: 'value', value: expected });
    }
  });

  it('gives up after the timeout and reports an unreachable server as offline', async () => {
    prometheus.answer(() => undefined);
    await expect(source.query('up')).rejects.toThrow(/no answer within 300 ms/);
    const nowhere = new PrometheusMetricsSource(await unusedUrl());
    await expect(nowhere.versionMetrics('churn', 2, 60)).rejects.toThrow(MetricsUnavailableError);
    await expect(nowhere.isOnline()).resolves.toBe(false);
  });

  it('is online when /-/ready answers 2xx', async () => {
    await expect(source.isOnline()).resolves.toBe(true);
  });

  it('refuses a window that is not a positive number', async () => {
    await expect(source.versionMetrics('churn', 2, 0)).rejects.toThrow(RangeError);
    await expect(source.versionMetrics('churn', 2, Number.NaN)).rejects.toThrow(RangeError);
  });
});
