import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelLog } from '../../../src/serving/feedback-log.js';
import { GATEWAY_METRICS, type ModelStats, type VersionStats } from '../../../src/serving/gateway-contract.js';
import { inferBody, startFakeUpstream, type FakeUpstream } from './gateway-fake-upstream.js';
import { makeDataDir, removeDataDir, routeModel, sampleValue, startTestGateway, type TestGateway } from './gateway-test-client.js';

/** The gateway's clock: the fake upstreams move it forward by exactly the latency a test wants. */
const clock = { now: Date.UTC(2025, 0, 15, 12, 0, 0), nextLatencyMs: 0 };
const advanceByNextLatency = () => {
  clock.now += clock.nextLatencyMs;
};

describe('gateway stats, feedback and metrics', () => {
  let gateway: TestGateway;
  let v1: FakeUpstream;
  let v2: FakeUpstream;
  let unreachableUrl: string;

  beforeAll(async () => {
    const score = (row: Record<string, unknown>) => Number(row.amount) / 100;
    v1 = await startFakeUpstream(1, { score, beforeAnswer: advanceByNextLatency });
    v2 = await startFakeUpstream(2, { score, beforeAnswer: advanceByNextLatency });
    const gone = await startFakeUpstream(3);
    unreachableUrl = gone.url;
    await gone.close();
    gateway = await startTestGateway({ dataDir: await makeDataDir(), now: () => clock.now, flushIntervalMs: 100 });
  });

  afterAll(async () => {
    await gateway.close();
    await v1.close();
    await v2.close();
    await removeDataDir(gateway.dataDir);
  });

  const stats = async (model: string, windowSeconds: number): Promise<ModelStats> => {
    const answer = await gateway.admin('GET', `/admin/models/${model}/stats?windowSeconds=${windowSeconds}`);
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const version = (modelStats: ModelStats, v: number): VersionStats => modelStats.versions.find((entry) => entry.version === v)!;

  it('counts requests, errors and latency quantiles per version over the trailing window', async () => {
    await routeModel(gateway, 'scored', { 1: v1.url, 2: v2.url, 3: unreachableUrl }, { 1: 100 });
    // Version 1: latencies 1..100 ms in a scrambled order, amounts 0..99.
    for (let i = 0; i < 100; i++) {
      clock.nextLatencyMs = ((i * 37) % 100) + 1;
      expect((await gateway.infer('scored', inferBody([{ amount: i }]), {}, 1)).status).toBe(200);
    }
    // Version 2: 40 good answers and 10 errors, 10 ms each.
    clock.nextLatencyMs = 10;
    for (let i = 0; i < 50; i++) {
      v2.behaviour.failWith = i % 5 === 4 ? 503 : undefined;
      await gateway.infer('scored', inferBody([{ amount: 50 }]), {}, 2);
    }
    v2.behaviour.failWith = undefined;
    // Version 3 never answers.
    for (let i = 0; i < 4; i++) expect((await gateway.infer('scored', inferBody([{ amount: 1 }]), {}, 3)).status).toBe(502);

    const window = await stats('scored', 60);
    expect(window).toMatchObject({ model: 'scored', windowSeconds: 60, asOf: new Date(clock.now).toISOString() });
    const first = version(window, 1);
    expect(first).toMatchObject({ requests: 100, errors: 0, errorRate: 0, labeled: 0, correct: 0, accuracy: null });
    expect(Math.abs(first.latencyP50Ms! - 50) / 50).toBeLessThan(0.02);
    expect(Math.abs(first.latencyP99Ms! - 99) / 99).toBeLessThan(0.02);
    expect(first.meanScore).toBeCloseTo(0.495, 10);
    const second = version(window, 2);
    expect(second).toMatchObject({ requests: 50, errors: 10, errorRate: 0.2 });
    expect(Math.abs(second.latencyP99Ms! - 10) / 10).toBeLessThan(0.02);
    expect(second.meanScore).toBeCloseTo(0.5, 10);
    expect(version(window, 3)).toMatchObject({ requests: 4, errors: 4, errorRate: 1, meanScore: null });

    // Requests slower than a threshold, counted alike for every version (the latency-vs-champion test's input).
    const slower = (await gateway.admin('GET', '/admin/models/scored/stats?windowSeconds=60&slowerThanMs=50')).body as ModelStats;
    expect(version(slower, 1).slowerThan).toEqual({ thresholdMs: 50, requests: 50 });
    expect(version(slower, 2).slowerThan).toEqual({ thresholdMs: 50, requests: 0 });
    expect(version(window, 1).slowerThan).toBeUndefined();
    expect((await gateway.admin('GET', '/admin/models/scored/stats?slowerThanMs=-1')).body.error).toMatch(/^query\.slowerThanMs:/);

    clock.now += 120_000;
    const later = await stats('scored', 60);
    expect(version(later, 1)).toEqual({ version: 1, requests: 0, errors: 0, errorRate: null, latencyP50Ms: null, latencyP99Ms: null, meanScore: null, labeled: 0, correct: 0, accuracy: null, mergeable: { latencyBuckets: [], scoreSum: 0, scoreCount: 0 } });
    expect(version(await stats('scored', 3600), 1).requests).toBe(100);
  });

  it('with complete=true counts whole seconds only, so back-to-back windows count each request once', async () => {
    await routeModel(gateway, 'paced', { 1: v1.url }, { 1: 100 });
    clock.nextLatencyMs = 0;
    clock.now = Math.ceil(clock.now / 1000) * 1000 + 1000;
    // Two requests in each 250 ms of three whole seconds, then one request at the start of a fourth.
    for (let i = 0; i < 24; i++) {
      await gateway.infer('paced', inferBody([{ amount: 1 }]), {}, 1);
      clock.now += 125;
    }
    await gateway.infer('paced', inferBody([{ amount: 1 }]), {}, 1);
    clock.now += 100;
    const completeWindow = async (seconds: number) => {
      const answer = await gateway.admin('GET', `/admin/models/paced/stats?windowSeconds=${seconds}&complete=true`);
      expect(answer.status).toBe(200);
      return answer.body as ModelStats;
    };
    // The second in progress (1 request) is left out; the window ends where it starts.
    expect(version(await completeWindow(1), 1).requests).toBe(8);
    expect(version(await completeWindow(3), 1).requests).toBe(24);
    expect((await completeWindow(1)).asOf).toBe(new Date(Math.floor(clock.now / 1000) * 1000).toISOString());
    // Without it the window includes the second in progress.
    expect(version(await stats('paced', 1), 1).requests).toBe(1);
    // Checks one second apart over 1 s windows add up to every request exactly once.
    let seen = 0;
    for (let i = 0; i < 3; i++) {
      clock.now += 1000;
      seen += version(await completeWindow(1), 1).requests;
    }
    expect(seen).toBe(1);
    expect((await gateway.admin('GET', '/admin/models/paced/stats?complete=yes')).body.error).toMatch(/^query\.complete:/);
  });

  it('scores labels against the served prediction and logs every label', async () => {
    await routeModel(gateway, 'labeled', { 1: v1.url }, { 1: 100 });
    clock.nextLatencyMs = 5;
    const startedAt = clock.now;
    // Predictions: amount ≥ 50 → positive (score ≥ 0.5).
    for (const [id, amount] of [['a', 80], ['b', 20], ['c', 60], ['d', 10]] as const) {
      await gateway.infer('labeled', inferBody([{ amount }]), { 'x-request-id': id });
    }
    await gateway.infer('labeled', inferBody([{ amount: 90 }, { amount: 5 }]), { 'x-request-id': 'batch' });

    const answers = await Promise.all([
      gateway.feedback('labeled', { request_id: 'a', label: 1 }), // right
      gateway.feedback('labeled', { request_id: 'b', label: 1 }), // wrong
      gateway.feedback('labeled', { request_id: 'c', label: 1 }), // right
      gateway.feedback('labeled', { request_id: 'batch#1', label: 0 }), // right
      gateway.feedback('labeled', { request_id: 'unknown', label: 0 }),
      gateway.feedback('scored', { request_id: 'd', label: 0 }), // other model
    ]);
    expect(answers.map((answer) => [answer.status, answer.body.matched])).toEqual([[202, true], [202, true], [202, true], [202, true], [202, false], [202, false]]);
    // A repeated label matches but is not counted twice.
    expect((await gateway.feedback('labeled', { request_id: 'a', label: 0 })).body).toEqual({ matched: true });

    expect(version(await stats('labeled', 60), 1)).toMatchObject({ requests: 5, labeled: 4, correct: 3, accuracy: 0.75 });

    const bad = await gateway.feedback('labeled', { request_id: 'a', label: 2 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^label:/);
    expect((await gateway.feedback('labeled', { label: 1 })).body.error).toMatch(/^request_id:/);

    await gateway.close();
    gateway = await startTestGateway({ dataDir: gateway.dataDir, now: () => clock.now, flushIntervalMs: 100 });
    const labels = await readLabelLog(gateway.dataDir, 'labeled', startedAt, clock.now + 1);
    expect(labels.map((label) => [label.requestId, label.label]).sort()).toEqual([['a', 0], ['a', 1], ['b', 1], ['batch#1', 0], ['c', 1], ['unknown', 0]]);
    expect((await readLabelLog(gateway.dataDir, 'scored', startedAt, clock.now + 1)).map((label) => label.requestId)).toEqual(['d']);
  });

  it('exports the contract series on /metrics and moves them', async () => {
    await routeModel(gateway, 'watched', { 1: v1.url, 2: v2.url }, { 1: 80, 2: 20 });
    const before = await gateway.metricsText();
    for (const name of Object.values(GATEWAY_METRICS)) expect(before).toContain(`# TYPE ${name} `);
    expect(sampleValue(before, GATEWAY_METRICS.weight, { model: 'watched', version: '1' })).toBe(80);
    expect(sampleValue(before, GATEWAY_METRICS.weight, { model: 'watched', version: '2' })).toBe(20);

    clock.nextLatencyMs = 3;
    for (let i = 0; i < 7; i++) await gateway.infer('watched', inferBody([{ amount: 70 }]), { 'x-request-id': `w${i}` }, 1);
    v2.behaviour.failWith = 500;
    await gateway.infer('watched', inferBody([{ amount: 70 }]), {}, 2);
    v2.behaviour.failWith = undefined;
    await gateway.feedback('watched', { request_id: 'w0', label: 1 });
    await gateway.feedback('watched', { request_id: 'w1', label: 0 });
    await gateway.admin('PUT', '/admin/models/watched/weights', { weights: { 1: 50, 2: 50 } });

    const after = await gateway.metricsText();
    expect(sampleValue(after, GATEWAY_METRICS.requests, { model: 'watched', version: '1', code: '200' })).toBe(7);
    expect(sampleValue(after, GATEWAY_METRICS.requests, { model: 'watched', version: '2', code: '500' })).toBe(1);
    expect(sampleValue(after, `${GATEWAY_METRICS.latency}_count`, { model: 'watched', version: '1' })).toBe(7);
    expect(sampleValue(after, `${GATEWAY_METRICS.latency}_bucket`, { model: 'watched', version: '1', le: '0.002' })).toBe(0);
    expect(sampleValue(after, `${GATEWAY_METRICS.latency}_bucket`, { model: 'watched', version: '1', le: '0.005' })).toBe(7);
    expect(sampleValue(after, `${GATEWAY_METRICS.score}_bucket`, { model: 'watched', version: '1', le: '0.65' })).toBe(0);
    expect(sampleValue(after, `${GATEWAY_METRICS.score}_bucket`, { model: 'watched', version: '1', le: '0.7' })).toBe(7);
    expect(sampleValue(after, GATEWAY_METRICS.feedback, { model: 'watched', version: '1', correct: 'true' })).toBe(1);
    expect(sampleValue(after, GATEWAY_METRICS.feedback, { model: 'watched', version: '1', correct: 'false' })).toBe(1);
    expect(sampleValue(after, GATEWAY_METRICS.weight, { model: 'watched', version: '1' })).toBe(50);
    expect(sampleValue(after, GATEWAY_METRICS.weight, { model: 'watched', version: '2' })).toBe(50);
  });
});
