import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLabelLog } from '../../../src/serving/feedback-log.js';
import { GATEWAY_METRICS, MAX_KPI_NAMES_PER_MODEL, type ModelStats } from '../../../src/serving/gateway-contract.js';
import { readKpiLog } from '../../../src/serving/kpi-log.js';
import { mergeModelStats } from '../../../src/metrics/merge-model-stats.js';
import { inferBody, startFakeUpstream, type FakeUpstream } from './gateway-fake-upstream.js';
import { makeDataDir, removeDataDir, routeModel, sampleValue, startTestGateway, type TestGateway } from './gateway-test-client.js';

const clock = { now: Date.UTC(2025, 0, 15, 12, 0, 0) };

describe('gateway: business KPIs in feedback', () => {
  let gateway: TestGateway;
  let v1: FakeUpstream;
  let v2: FakeUpstream;

  beforeAll(async () => {
    v1 = await startFakeUpstream(1);
    v2 = await startFakeUpstream(2);
    gateway = await startTestGateway({ dataDir: await makeDataDir(), now: () => clock.now, flushIntervalMs: 100 });
    await routeModel(gateway, 'shop', { 1: v1.url, 2: v2.url }, { 1: 50, 2: 50 });
  });

  afterAll(async () => {
    await gateway.close();
    await v1.close();
    await v2.close();
    await removeDataDir(gateway.dataDir);
  });

  const stats = async (): Promise<ModelStats> => (await gateway.admin('GET', '/admin/models/shop/stats?windowSeconds=60')).body;

  it('sums each KPI per serving version, once per request and KPI, and logs every value', async () => {
    const startedAt = clock.now;
    for (let i = 0; i < 4; i++) await gateway.infer('shop', inferBody([{ amount: 1 }]), { 'x-request-id': `one-${i}` }, 1);
    for (let i = 0; i < 2; i++) await gateway.infer('shop', inferBody([{ amount: 1 }]), { 'x-request-id': `two-${i}` }, 2);
    const sent = [
      ['one-0', { clicked: 1, revenue: 12.5 }],
      ['one-1', { clicked: 0 }],
      ['one-2', { clicked: 1, revenue: -2 }],
      ['two-0', { clicked: 0, revenue: 4 }],
      ['nobody', { clicked: 1 }],
    ] as const;
    for (const [id, kpis] of sent) expect((await gateway.feedback('shop', { request_id: id, kpis })).status).toBe(202);
    // A repeat of a KPI already counted for the request is logged, not counted; a new KPI on it is.
    expect((await gateway.feedback('shop', { request_id: 'one-0', kpis: { clicked: 1, dwell_seconds: 30 } })).body).toEqual({ matched: true });
    // KPIs and a label together: both count.
    expect((await gateway.feedback('shop', { request_id: 'two-1', label: 1, kpis: { clicked: 1 } })).status).toBe(202);

    const window = await stats();
    const one = window.versions.find((v) => v.version === 1)!;
    const two = window.versions.find((v) => v.version === 2)!;
    expect(one.kpis).toEqual({
      clicked: { count: 3, sum: 2, sumSquares: 2 },
      revenue: { count: 2, sum: 10.5, sumSquares: 12.5 ** 2 + 4 },
      dwell_seconds: { count: 1, sum: 30, sumSquares: 900 },
    });
    expect(two.kpis).toEqual({ clicked: { count: 2, sum: 1, sumSquares: 1 }, revenue: { count: 1, sum: 4, sumSquares: 16 } });
    expect(one.labeled).toBe(0);
    expect(two.labeled).toBe(1);

    // Two replicas' KPI sums add up.
    const merged = mergeModelStats([{ url: 'a', stats: window }, { url: 'b', stats: window }]);
    expect(merged.versions.find((v) => v.version === 1)!.kpis!.revenue).toEqual({ count: 4, sum: 21, sumSquares: 2 * (12.5 ** 2 + 4) });

    const text = await gateway.metricsText();
    expect(sampleValue(text, GATEWAY_METRICS.kpiReports, { model: 'shop', version: '1', kpi: 'revenue' })).toBe(2);
    expect(sampleValue(text, GATEWAY_METRICS.kpiValue, { model: 'shop', version: '1', kpi: 'revenue', sign: 'positive' })).toBe(12.5);
    expect(sampleValue(text, GATEWAY_METRICS.kpiValue, { model: 'shop', version: '1', kpi: 'revenue', sign: 'negative' })).toBe(2);
    expect(sampleValue(text, GATEWAY_METRICS.kpiSquares, { model: 'shop', version: '1', kpi: 'revenue' })).toBe(160.25);

    await gateway.close();
    gateway = await startTestGateway({ dataDir: gateway.dataDir, now: () => clock.now, flushIntervalMs: 100 });
    const logged = await readKpiLog(gateway.dataDir, 'shop', startedAt, clock.now + 1);
    expect(logged).toHaveLength(11);
    expect(logged.filter((r) => r.requestId === 'nobody')).toEqual([expect.objectContaining({ kpi: 'clicked', value: 1 })]);
    expect(logged.filter((r) => r.requestId === 'one-0' && r.kpi === 'clicked')).toHaveLength(2);
    // KPI-only feedback writes no label.
    expect((await readLabelLog(gateway.dataDir, 'shop', startedAt, clock.now + 1)).map((r) => r.requestId)).toEqual(['two-1']);
  });

  it('refuses feedback it cannot trust, naming the field, and counts none of it', async () => {
    const refused = async (body: unknown) => {
      const answer = await gateway.feedback('shop', body as never);
      expect(answer.status).toBe(400);
      return answer.body.error as string;
    };
    await gateway.infer('shop', inferBody([{ amount: 1 }]), { 'x-request-id': 'one-3' }, 1);
    const before = (await stats()).versions.find((v) => v.version === 1)!.kpis;
    expect(await refused({ request_id: 'one-3' })).toMatch(/expected a label \(0 or 1\), KPI values/);
    expect(await refused({ request_id: 'one-3', kpis: {} })).toMatch(/expected a label/);
    expect(await refused({ request_id: 'one-3', kpis: { 'Bad-Name': 1 } })).toMatch(/^kpis\.Bad-Name: KPI names are lower-case/);
    expect(await refused({ request_id: 'one-3', kpis: { clicked: 'yes' } })).toMatch(/^kpis\.clicked:/);
    expect(await refused({ request_id: 'one-3', kpis: { clicked: 1e400 } })).toMatch(/^kpis\.clicked:/);
    expect(await refused({ request_id: 'one-3', kpis: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, 1])) })).toMatch(/at most 8 KPIs per feedback/);
    expect((await stats()).versions.find((v) => v.version === 1)!.kpis).toEqual(before);

    expect((await gateway.feedback('shop', { request_id: 'one-3', kpis: { clicked: 1 } })).body).toEqual({ matched: true });
    expect((await stats()).versions.find((v) => v.version === 1)!.kpis!.clicked).toEqual({ count: 1, sum: 1, sumSquares: 1 });

    // A client inventing names cannot grow the gateway's series without bound.
    for (let i = 0; i < MAX_KPI_NAMES_PER_MODEL - 1; i++) {
      expect((await gateway.feedback('shop', { request_id: 'x', kpis: { [`invented_${i}`]: 1 } })).status).toBe(202);
    }
    const error = await refused({ request_id: 'one-3', kpis: { another: 1 } });
    expect(error).toMatch(new RegExp(`^kpis: model "shop" already has ${MAX_KPI_NAMES_PER_MODEL} KPI names \\(at most ${MAX_KPI_NAMES_PER_MODEL}\\); refused another`));
    // Names it already knows still work.
    expect((await gateway.feedback('shop', { request_id: 'one-3', kpis: { invented_0: 2 } })).status).toBe(202);
  });
});
