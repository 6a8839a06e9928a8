/**
 * PrometheusMetricsSource against a real Prometheus (scripts/prometheus, 1 s scrapes) scraping
 * an in-process exporter of the gateway's series, driven by synthetic traffic with known numbers.
 * v1's series start at zero; v2's appear with its first request, as the real gateway's do.
 * Counts are differences of scrapes, so they are exact; rates too; latency quantiles lie in
 * the bucket that holds the true quantile. After a counter reset the adapter falls back to
 * increase(), whose estimate is asserted within its extrapolation (+25 %).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsUnavailableError } from '../../src/metrics/metrics-source.js';
import { PrometheusQueryError } from '../../src/metrics/prometheus-metrics.js';
import { bucketAround, prometheusUnavailableReason, startPrometheus, type RunningPrometheus } from '../support/prometheus-server.js';
import { LATENCY_BUCKETS, SyntheticGatewayExporter, type SyntheticRequest } from '../support/synthetic-gateway-exporter.js';

const MODEL = 'churn';
const WINDOW_SECONDS = 60;
const SCORES = [0.15, 0.35, 0.65, 0.85];

/** Deterministic traffic: `errorEvery`-th requests fail, `slowShare` of them are slow, the first `labeled` answers get feedback. */
function syntheticTraffic(count: number, errorEvery: number, fastSeconds: number, slowSeconds: number, slowPercent: number, labeled: number): SyntheticRequest[] {
  let feedbackGiven = 0;
  return Array.from({ length: count }, (_, i) => {
    const failed = i % errorEvery === 3;
    const request: SyntheticRequest = { status: failed ? 500 : 200, latencySeconds: i % 100 < 100 - slowPercent ? fastSeconds : slowSeconds };
    if (!failed) {
      request.score = SCORES[i % SCORES.length]!;
      if (feedbackGiven++ < labeled) request.correct = i % 7 !== 0;
    }
    return request;
  });
}

const traffic = {
  1: syntheticTraffic(400, 50, 0.02, 0.3, 5, 100), // champion: 2 % errors, p99 300 ms
  2: syntheticTraffic(200, 10, 0.04, 1.5, 10, 60), // canary: 10 % errors, p99 1.5 s
};

function truth(requests: SyntheticRequest[]) {
  const latencies = requests.map((r) => r.latencySeconds).sort((a, b) => a - b);
  const rank = (q: number) => latencies[Math.ceil(q * latencies.length) - 1]!;
  const scores = requests.flatMap((r) => (r.score === undefined ? [] : [r.score]));
  const feedback = requests.filter((r) => r.correct !== undefined);
  const errors = requests.filter((r) => r.status >= 500).length;
  return {
    requests: requests.length, errors, errorRate: errors / requests.length, p50: rank(0.5), p99: rank(0.99),
    meanScore: scores.reduce((a, b) => a + b, 0) / scores.length,
    labeled: feedback.length, correct: feedback.filter((r) => r.correct).length,
  };
}

function expectCount(actual: number, exact: number): void {
  expect(actual, `count ${actual} vs exact ${exact}`).toBe(exact);
}

function expectWithinBucket(actualMs: number | null, exactSeconds: number): void {
  const { lower, upper } = bucketAround(exactSeconds, LATENCY_BUCKETS);
  expect(actualMs, `quantile for ${exactSeconds} s`).not.toBeNull();
  expect(actualMs!).toBeGreaterThan(lower * 1000);
  expect(actualMs!).toBeLessThanOrEqual(upper * 1000);
}

const unavailable = await prometheusUnavailableReason('test/integration/prometheus.test.ts');

describe.skipIf(unavailable !== undefined)('PrometheusMetricsSource against a real Prometheus', () => {
  const exporter = new SyntheticGatewayExporter();
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    exporter.route(MODEL, 1, 90);
    exporter.route(MODEL, 2, 10, { withTrafficSeries: false }); // series born with the first request
    exporter.route(MODEL, 3, 0, { withTrafficSeries: false }); // routed, never served
    const target = await exporter.listen();
    prometheus = await startPrometheus([target]);
    await prometheus.waitForSeries(`count(mlops_gateway_requests_total{model="${MODEL}"})`);
    // Eight bursts half a second apart, so the counters rise across several scrapes.
    for (let tick = 0; tick < 8; tick++) {
      for (const [version, requests] of Object.entries(traffic)) {
        const share = Math.ceil(requests.length / 8);
        for (const request of requests.slice(tick * share, (tick + 1) * share)) exporter.record(MODEL, Number(version), request);
      }
      await sleep(500);
    }
    await prometheus.waitForFreshScrape();
  });

  afterAll(async () => {
    await prometheus?.stop();
    await exporter.close();
  });

  /** Queries at a random moment between two scrapes, as a canary check would. */
  async function measure(version: number, windowSeconds = WINDOW_SECONDS) {
    await sleep(Math.random() * 1_000);
    return prometheus.source.versionMetrics(MODEL, version, windowSeconds);
  }

  it('is online', async () => {
    await expect(prometheus.source.isOnline()).resolves.toBe(true);
  });

  it.each([1, 2] as const)('counts requests, errors and the error rate of v%i', async (version) => {
    const exact = truth(traffic[version]);
    const metrics = await measure(version);
    expectCount(metrics.requests, exact.requests);
    expectCount(metrics.errors, exact.errors);
    expect(metrics.errorRate).toBeCloseTo(exact.errorRate, 12);
  });

  it.each([1, 2] as const)('puts the p50 and p99 latency of v%i in the right histogram bucket', async (version) => {
    const exact = truth(traffic[version]);
    const metrics = await measure(version);
    expectWithinBucket(metrics.latencyP50Ms, exact.p50);
    expectWithinBucket(metrics.latencyP99Ms, exact.p99);
  });

  it.each([1, 2] as const)('gives the mean score and the online accuracy of v%i', async (version) => {
    const exact = truth(traffic[version]);
    const metrics = await measure(version);
    expect(metrics.meanScore).toBeCloseTo(exact.meanScore, 9);
    expectCount(metrics.labeled, exact.labeled);
    expectCount(metrics.correct, exact.correct);
    expect(metrics.accuracy).toBeCloseTo(exact.correct / exact.labeled, 12);
  });

  it('reports zero requests, not an error, for a routed version without traffic', async () => {
    await expect(measure(3)).resolves.toEqual({
      version: 3, requests: 0, errors: 0, errorRate: null, latencyP50Ms: null, latencyP99Ms: null,
      meanScore: null, labeled: 0, correct: 0, accuracy: null,
    });
  });

  it('reports zero requests and no latency for a window after the traffic stopped', async () => {
    await sleep(3_000);
    const quiet = await measure(1, 2);
    expect(quiet).toMatchObject({ requests: 0, errors: 0, errorRate: null, latencyP99Ms: null, meanScore: null });
  });

  it('estimates a version whose counter reset in the window (a gateway restart) with increase()', async () => {
    const model = 'restarted';
    exporter.route(model, 1, 100);
    await prometheus.waitForSeries(`count(mlops_gateway_requests_total{model="${model}"})`);
    for (let i = 0; i < 30; i++) exporter.record(model, 1, { status: 200, latencySeconds: 0.02 });
    await prometheus.waitForFreshScrape();
    exporter.restart(model, 1);
    await prometheus.waitForFreshScrape(); // the series is gone for a scrape, then back from zero
    for (let i = 0; i < 20; i++) exporter.record(model, 1, { status: 200, latencySeconds: 0.02 });
    await prometheus.waitForFreshScrape();
    const { requests } = await prometheus.source.versionMetrics(model, 1, WINDOW_SECONDS);
    expect(requests).toBeGreaterThanOrEqual(50);
    expect(requests).toBeLessThanOrEqual(50 * 1.25);
  });

  it('reports a version Prometheus has never seen as unavailable', async () => {
    await expect(measure(99)).rejects.toThrow(MetricsUnavailableError);
  });

  it("passes on Prometheus' rejection of a bad query", async () => {
    const error = await prometheus.source.query('sum(rate(x[1m])').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect((error as PrometheusQueryError).reason).toMatch(/parse error/);
  });
});
