/**
 * The two metrics adapters agree: a real gateway (startGateway) in front of scripted OIP
 * upstreams, a real Prometheus scraping the gateway's /metrics every second, the same traffic,
 * and GatewayMetricsSource and PrometheusMetricsSource must report the same per-version numbers.
 *
 * Tolerances, and why:
 * - counts (requests, errors, labeled, correct), error rate and accuracy: equal. All traffic
 *   lies inside both windows and Prometheus has scraped it, and the Prometheus adapter counts
 *   by differences of scrapes (a series the gateway creates with its first event counts from
 *   0), not with increase(), which lost 10 % of v1's requests here (prometheus-metrics.ts).
 * - mean score: to 1e-9 (the same sums, added in a different order).
 * - p50 and p99: Prometheus' answer lies in the gateway histogram bucket (LATENCY_BUCKETS_SECONDS)
 *   that holds the gateway's own (≈1 % exact) quantile; histogram_quantile interpolates inside it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsSource, VersionMetrics } from '../../src/metrics/metrics-source.js';
import { openMetricsSource } from '../../src/metrics/open-metrics-source.js';
import { REQUEST_ID_HEADER, ROUTING_KEY_HEADER } from '../../src/serving/gateway-contract.js';
import { LATENCY_BUCKETS_SECONDS } from '../../src/serving/gateway-metrics.js';
import { startGateway, type RunningGateway } from '../../src/serving/gateway.js';
import { startOipUpstream, type OipUpstream } from '../support/oip-upstream.js';
import { bucketAround, prometheusUnavailableReason, startPrometheus, type RunningPrometheus } from '../support/prometheus-server.js';

const MODEL = 'parity';
const TOKEN = 'parity-admin-token';
const WINDOW_SECONDS = 60;
/** 40 waves of 12 requests, 200 ms apart: about 60 requests a second for 8 seconds. */
const WAVES = 40;
const WAVE_SIZE = 12;

const unavailable = await prometheusUnavailableReason('test/integration/metrics-parity.test.ts');

describe.skipIf(unavailable !== undefined)('gateway stats and Prometheus agree on the same traffic', () => {
  let dataDir: string;
  let gateway: RunningGateway;
  let prometheus: RunningPrometheus;
  const upstreams: OipUpstream[] = [];
  const measured = new Map<number, { gateway: VersionMetrics; prometheus: VersionMetrics }>();

  beforeAll(async () => {
    // v1, the champion: 12 ms, every 25th answer 150 ms, every 40th fails.
    upstreams.push(await startOipUpstream(1, { latencyMs: (i) => (i % 25 === 3 ? 150 : 12), fails: (i) => i % 40 === 5, score: (i, row) => ((i * 37 + row * 11) % 100) / 100 }));
    // v2, a worse canary: 35 ms, every 10th answer 400 ms, every 8th fails.
    upstreams.push(await startOipUpstream(2, { latencyMs: (i) => (i % 10 === 4 ? 400 : 35), fails: (i) => i % 8 === 2, score: (i, row) => ((i * 53 + row * 7) % 100) / 100 }));
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-parity-'));
    gateway = await startGateway({ dataDir, adminToken: TOKEN });
    await admin('PUT', `/admin/models/${MODEL}/versions/1`, { url: upstreams[0]!.url });
    await admin('PUT', `/admin/models/${MODEL}/versions/2`, { url: upstreams[1]!.url });
    await admin('PUT', `/admin/models/${MODEL}/weights`, { weights: { 1: 75, 2: 25 } });

    prometheus = await startPrometheus([new URL(gateway.url).host]);
    await prometheus.waitForSeries(`count(mlops_gateway_route_weight{model="${MODEL}"})`);
    await sendTraffic();
    // The gateway source reads complete seconds only: let the last wave's second end (on a fast
    // run the reading came within it, and the gateway left out the 9 requests Prometheus had).
    await sleep(1_100);
    await prometheus.waitForFreshScrape(); // every request and label is in Prometheus now

    const sources: Record<'gateway' | 'prometheus', MetricsSource> = {
      gateway: openMetricsSource({ kind: 'gateway' }, { url: gateway.url, token: TOKEN }),
      prometheus: openMetricsSource({ kind: 'prometheus', url: prometheus.url }, { url: gateway.url, token: TOKEN }),
    };
    for (const version of [1, 2]) {
      const [fromGateway, fromPrometheus] = await Promise.all([
        sources.gateway.versionMetrics(MODEL, version, WINDOW_SECONDS),
        sources.prometheus.versionMetrics(MODEL, version, WINDOW_SECONDS, { kpis: ['revenue', 'clicked', 'never_sent'] }),
      ]);
      measured.set(version, { gateway: fromGateway, prometheus: fromPrometheus });
    }
  });

  afterAll(async () => {
    await prometheus?.stop();
    await gateway?.close();
    await Promise.all(upstreams.map((upstream) => upstream.close()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function admin(method: string, pathname: string, body: unknown): Promise<void> {
    const response = await fetch(`${gateway.url}${pathname}`, {
      method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${pathname}: ${response.status} ${await response.text()}`);
  }

  /** One inference request (every 5th has two rows); labels half of the single-row answers, 80 % of them right. */
  async function inferAndLabel(index: number): Promise<void> {
    const rows = index % 5 === 0 ? 2 : 1;
    const requestId = `req-${index}`;
    const response = await fetch(`${gateway.url}/v2/models/${MODEL}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [ROUTING_KEY_HEADER]: requestId, [REQUEST_ID_HEADER]: requestId },
      body: JSON.stringify({ inputs: [{ name: 'amount', datatype: 'FP64', shape: [rows], data: Array.from({ length: rows }, (_, row) => index + row) }] }),
    });
    const answer = (await response.json()) as { outputs?: { data: number[] }[] };
    if (response.status !== 200 || rows !== 1 || index % 2 !== 0) return;
    const predicted = answer.outputs![0]!.data[0]! >= 0.5 ? 1 : 0;
    const label = index % 5 === 1 ? 1 - predicted : predicted;
    const feedback = await fetch(`${gateway.url}/v2/models/${MODEL}/feedback`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ request_id: requestId, label, kpis: { revenue: (index % 7) - 2.5, clicked: index % 3 === 0 ? 1 : 0 } }),
    });
    expect(feedback.status).toBe(202);
  }

  async function sendTraffic(): Promise<void> {
    const inFlight: Promise<void>[] = [];
    for (let wave = 0; wave < WAVES; wave++) {
      for (let i = 0; i < WAVE_SIZE; i++) inFlight.push(inferAndLabel(wave * WAVE_SIZE + i));
      await sleep(200);
    }
    await Promise.all(inFlight);
  }

  const both = (version: number) => measured.get(version)!;

  it.each([1, 2])('v%i: the same request, error and label counts, error rate and accuracy', (version) => {
    const { gateway: exact, prometheus: estimate } = both(version);
    expect(exact.requests).toBeGreaterThan(50);
    expect(exact.errors).toBeGreaterThan(0);
    expect(exact.labeled).toBeGreaterThan(20);
    const counts = ({ requests, errors, errorRate, labeled, correct, accuracy }: VersionMetrics) => ({ requests, errors, errorRate, labeled, correct, accuracy });
    expect(counts(estimate)).toEqual(counts(exact));
  });

  it.each([1, 2])('v%i: the same business KPI sums (negative values included)', (version) => {
    const { gateway: exact, prometheus: estimate } = both(version);
    expect(Object.keys(exact.kpis ?? {}).sort()).toEqual(['clicked', 'revenue']);
    expect(Object.keys(estimate.kpis ?? {}).sort()).toEqual(['clicked', 'revenue']);
    for (const name of ['clicked', 'revenue']) {
      expect(estimate.kpis![name]!.count).toBe(exact.kpis![name]!.count);
      expect(estimate.kpis![name]!.sum).toBeCloseTo(exact.kpis![name]!.sum, 9);
      expect(estimate.kpis![name]!.sumSquares).toBeCloseTo(exact.kpis![name]!.sumSquares, 9);
    }
    expect(exact.kpis!.revenue!.sum).toBeLessThan(exact.kpis!.revenue!.count * 1.5);
  });

  it.each([1, 2])('v%i: the same mean score', (version) => {
    const { gateway: exact, prometheus: estimate } = both(version);
    expect(estimate.meanScore).toBeCloseTo(exact.meanScore!, 9);
  });

  it.each([1, 2])('v%i: p50 and p99 latency in the same histogram bucket', (version) => {
    const { gateway: exact, prometheus: estimate } = both(version);
    for (const [q, gatewayMs, prometheusMs] of [['p50', exact.latencyP50Ms, estimate.latencyP50Ms], ['p99', exact.latencyP99Ms, estimate.latencyP99Ms]] as const) {
      const { lower, upper } = bucketAround(gatewayMs! / 1000, LATENCY_BUCKETS_SECONDS);
      expect(prometheusMs, `${q}: Prometheus ${prometheusMs} ms, gateway ${gatewayMs} ms`).toBeGreaterThan(lower * 1000);
      expect(prometheusMs!).toBeLessThanOrEqual(upper * 1000);
    }
  });
});
