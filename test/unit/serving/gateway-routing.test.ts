import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferBody, startFakeUpstream, type FakeUpstream } from './gateway-fake-upstream.js';
import { inParallel, makeDataDir, removeDataDir, routeModel, startTestGateway, type TestGateway } from './gateway-test-client.js';

describe('gateway routing', () => {
  let gateway: TestGateway;
  const upstreams: Record<number, FakeUpstream> = {};

  beforeAll(async () => {
    for (const version of [1, 2, 3]) upstreams[version] = await startFakeUpstream(version, { score: () => version / 10 });
    gateway = await startTestGateway({ dataDir: await makeDataDir(), flushIntervalMs: 200 });
    await routeModel(gateway, 'fraud', { 1: upstreams[1]!.url, 2: upstreams[2]!.url, 3: upstreams[3]!.url }, { 1: 70, 2: 20, 3: 10 });
  });

  afterAll(async () => {
    await gateway.close();
    await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
    await removeDataDir(gateway.dataDir);
  });

  it('splits traffic in proportion to the weights', async () => {
    const answers = await inParallel(2000, 32, () => gateway.infer('fraud', inferBody([{ amount: 1 }])));
    const counts = { 1: 0, 2: 0, 3: 0 } as Record<string, number>;
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      counts[answer.headers['x-model-version']!]!++;
    }
    const expected = { 1: 1400, 2: 400, 3: 200 } as Record<string, number>;
    const chiSquare = Object.keys(expected).reduce((sum, version) => sum + (counts[version]! - expected[version]!) ** 2 / expected[version]!, 0);
    // df = 2: P(χ² > 18.4) = 0.0001 when the split is right; 50/30/20 would give about 140.
    expect(chiSquare, JSON.stringify(counts)).toBeLessThan(18.4);
  });

  it('keeps a routing key on one version, and spreads different keys', async () => {
    const byKey = new Map<string, Set<string>>();
    for (let user = 0; user < 100; user++) {
      for (let repeat = 0; repeat < 3; repeat++) {
        const answer = await gateway.infer('fraud', inferBody([{ amount: 1 }]), { 'x-routing-key': `user-${user}` });
        const versions = byKey.get(`user-${user}`) ?? new Set();
        versions.add(answer.headers['x-model-version']!);
        byKey.set(`user-${user}`, versions);
      }
    }
    expect([...byKey.values()].every((versions) => versions.size === 1)).toBe(true);
    const served = new Set([...byKey.values()].flatMap((versions) => [...versions]));
    expect(served).toEqual(new Set(['1', '2', '3']));
  });

  it('forwards the body unchanged and answers with the upstream body, the version and the request id', async () => {
    const body = inferBody([{ amount: 12.5, region: 'eu' }], 'client-id');
    upstreams[3]!.received.length = 0;
    const answer = await gateway.infer('fraud', body, { 'x-request-id': 'req-42' }, 3);
    expect(answer.status).toBe(200);
    expect(answer.headers['x-model-version']).toBe('3');
    expect(answer.headers['x-request-id']).toBe('req-42');
    expect(answer.body.outputs[0]).toEqual({ name: 'probability', shape: [1], datatype: 'FP64', data: [0.3] });
    expect(upstreams[3]!.received).toHaveLength(1);
    expect(upstreams[3]!.received[0]!.body).toBe(body);
    expect(upstreams[3]!.received[0]!.path).toBe('/v2/models/fraud/infer');
    expect(upstreams[3]!.received[0]!.headers['x-request-id']).toBe('req-42');
  });

  it('generates a request id when the client sends none', async () => {
    const first = await gateway.infer('fraud', inferBody([{ amount: 1 }]));
    const second = await gateway.infer('fraud', inferBody([{ amount: 1 }]));
    expect(first.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
  });

  it('serves a pinned version whatever the weights, and 404s an unknown one', async () => {
    await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 1: 100 } });
    const pinned = await Promise.all(Array.from({ length: 20 }, () => gateway.infer('fraud', inferBody([{ amount: 1 }]), {}, 2)));
    expect(pinned.every((answer) => answer.status === 200 && answer.headers['x-model-version'] === '2')).toBe(true);
    expect((await gateway.infer('fraud', inferBody([{ amount: 1 }]), {}, 9)).status).toBe(404);
    await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 1: 70, 2: 20, 3: 10 } });
  });

  it('answers 503 when no version takes traffic', async () => {
    const unknown = await gateway.infer('nobody', inferBody([{ amount: 1 }]));
    expect(unknown.status).toBe(503);
    expect(unknown.body).toEqual({ error: 'no version of nobody takes traffic' });
    await gateway.admin('PUT', '/admin/models/fresh/versions/1', { url: upstreams[1]!.url });
    const unweighted = await gateway.infer('fresh', inferBody([{ amount: 1 }]));
    expect(unweighted.status).toBe(503);
    expect(unweighted.body).toEqual({ error: 'no version of fresh takes traffic' });
  });

  it('answers 502 when the upstream cannot be reached, and passes upstream errors through', async () => {
    const gone = await startFakeUpstream(1);
    await gone.close();
    await routeModel(gateway, 'broken', { 1: gone.url }, { 1: 100 });
    const answer = await gateway.infer('broken', inferBody([{ amount: 1 }]));
    expect(answer.status).toBe(502);
    expect(answer.body.error).toMatch(/version 1 of broken did not answer/);
    expect(answer.headers['x-model-version']).toBe('1');

    const failing = await startFakeUpstream(1, { failWith: 500 });
    await routeModel(gateway, 'failing', { 1: failing.url }, { 1: 100 });
    const failed = await gateway.infer('failing', inferBody([{ amount: 1 }]));
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ error: 'version 1 failed on purpose' });
    await failing.close();
  });

  it('answers the health endpoints', async () => {
    expect((await gateway.admin('GET', '/v2/health/live', undefined, null)).status).toBe(200);
    expect((await gateway.admin('GET', '/v2/health/ready', undefined, null)).status).toBe(200);
  });
});
