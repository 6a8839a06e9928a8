import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferBody, startFakeUpstream, type FakeUpstream } from './gateway-fake-upstream.js';
import { inParallel, makeDataDir, removeDataDir, startTestGateway, type TestGateway } from './gateway-test-client.js';

describe('gateway admin API', () => {
  let dataDir: string;
  let gateway: TestGateway;
  let v1: FakeUpstream;
  let v2: FakeUpstream;

  beforeAll(async () => {
    dataDir = await makeDataDir();
    v1 = await startFakeUpstream(1);
    v2 = await startFakeUpstream(2);
    gateway = await startTestGateway({ dataDir });
  });

  afterAll(async () => {
    await gateway.close();
    await v1.close();
    await v2.close();
    await removeDataDir(dataDir);
  });

  it('refuses requests without the right bearer token', async () => {
    expect((await gateway.admin('GET', '/admin/models/fraud/routes', undefined, null)).status).toBe(401);
    expect((await gateway.admin('GET', '/admin/models/fraud/routes', undefined, 'wrong-token')).status).toBe(401);
    expect((await gateway.admin('GET', '/admin/models/fraud/routes', undefined, '')).status).toBe(401);
    expect((await gateway.admin('PUT', '/admin/models/fraud/versions/1', { url: v1.url }, 'test-admin-tokenX')).status).toBe(401);
    const basic = await gateway.client.request({ method: 'GET', path: '/admin/models/fraud/routes', headers: { authorization: 'Basic dGVzdC1hZG1pbi10b2tlbg==' } });
    expect(basic.statusCode).toBe(401);
    await basic.body.dump();
    expect((await gateway.admin('GET', '/admin/models/fraud/routes')).status).toBe(404);
  });

  it('adds versions at weight 0; the same URL again changes nothing, a new URL updates it', async () => {
    const added = await gateway.admin('PUT', '/admin/models/fraud/versions/1', { url: v1.url });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ model: 'fraud', routes: [{ version: 1, url: v1.url, weight: 0 }], revision: 1 });
    const again = await gateway.admin('PUT', '/admin/models/fraud/versions/1', { url: v1.url });
    expect(again.body.revision).toBe(1);
    const moved = await gateway.admin('PUT', '/admin/models/fraud/versions/1', { url: `${v1.url}/` });
    expect(moved.body).toMatchObject({ routes: [{ version: 1, url: `${v1.url}/`, weight: 0 }], revision: 2 });
    await gateway.admin('PUT', '/admin/models/fraud/versions/1', { url: v1.url });
    const second = await gateway.admin('PUT', '/admin/models/fraud/versions/2', { url: v2.url });
    expect(second.body.routes.map((route: { version: number }) => route.version)).toEqual([1, 2]);
    expect(second.body.revision).toBe(4);
  });

  it('validates what it is given', async () => {
    expect((await gateway.admin('PUT', '/admin/models/fraud/versions/1', { url: 'not a url' })).body.error).toMatch(/^body\.url:/);
    expect((await gateway.admin('PUT', '/admin/models/fraud/versions/0', { url: v1.url })).body.error).toMatch(/^path\.version:/);
    expect((await gateway.admin('PUT', '/admin/models/bad%20name/versions/1', { url: v1.url })).status).toBe(400);
    expect((await gateway.admin('GET', '/admin/models/fraud/stats?windowSeconds=7200')).body.error).toMatch(/^query\.windowSeconds:/);
  });

  it('sets weights atomically, refusing sums other than 100, unknown versions and non-integers', async () => {
    const cases: [Record<string, number>, RegExp][] = [
      [{ 1: 50, 2: 40 }, /must sum to 100, got 90/],
      [{ 1: 50, 9: 50 }, /weights\.9: "fraud" has no version 9/],
      [{ 1: 50.5, 2: 49.5 }, /weights\.1: expected an integer 0\.\.100, got 50\.5/],
      [{ 1: 150, 2: -50 }, /weights\.1: expected an integer/],
    ];
    for (const [weights, message] of cases) {
      const refused = await gateway.admin('PUT', '/admin/models/fraud/weights', { weights });
      expect(refused.status, JSON.stringify(weights)).toBe(400);
      expect(refused.body.error).toMatch(message);
    }
    expect((await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: 'half' })).body.error).toMatch(/^body\.weights:/);
    expect((await gateway.admin('PUT', '/admin/models/nobody/weights', { weights: { 1: 100 } })).status).toBe(404);
    const unchanged = await gateway.admin('GET', '/admin/models/fraud/routes');
    expect(unchanged.body.revision).toBe(4);

    const set = await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 1: 90, 2: 10 } });
    expect(set.status).toBe(200);
    expect(set.body.routes.map((route: { weight: number }) => route.weight)).toEqual([90, 10]);
    expect(set.body.revision).toBe(5);
    const leftOut = await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 2: 100 } });
    expect(leftOut.body.routes.map((route: { weight: number }) => route.weight)).toEqual([0, 100]);
  });

  it('compare-and-set: of concurrent changes from one revision, exactly one wins', async () => {
    const { revision } = (await gateway.admin('GET', '/admin/models/fraud/routes')).body;
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 1: 10 + i * 5, 2: 90 - i * 5 }, ifRevision: revision })),
    );
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    const conflicts = answers.filter((answer) => answer.status === 409);
    expect(conflicts).toHaveLength(9);
    expect(conflicts[0]!.body.error).toMatch(`is at revision ${revision + 1}, not ${revision}`);
  });

  it('never serves a half-applied table while weights flip under traffic', async () => {
    let flipping = true;
    const flips = (async () => {
      for (let i = 0; flipping; i++) await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: i % 2 ? { 1: 100 } : { 2: 100 } });
    })();
    const answers = await inParallel(400, 16, () => gateway.infer('fraud', inferBody([{ amount: 1 }])));
    flipping = false;
    await flips;
    expect(answers.map((answer) => answer.status).filter((status) => status !== 200)).toEqual([]);
  });

  it('refuses to delete a version that takes traffic, deletes it at weight 0', async () => {
    await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 1: 100 } });
    const refused = await gateway.admin('DELETE', '/admin/models/fraud/versions/1');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/still takes 100% of traffic/);
    const deleted = await gateway.admin('DELETE', '/admin/models/fraud/versions/2');
    expect(deleted.status).toBe(200);
    expect(deleted.body.routes.map((route: { version: number }) => route.version)).toEqual([1]);
    expect((await gateway.admin('DELETE', '/admin/models/fraud/versions/2')).status).toBe(404);
  });

  it('keeps its routes across a restart', async () => {
    await gateway.admin('PUT', '/admin/models/fraud/versions/2', { url: v2.url });
    const before = (await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 1: 25, 2: 75 } })).body;
    const onDisk = JSON.parse(await readFile(path.join(dataDir, 'gateway', 'routes.json'), 'utf8'));
    expect(onDisk.models).toEqual([before]);
    await gateway.close();

    gateway = await startTestGateway({ dataDir });
    expect((await gateway.admin('GET', '/admin/models/fraud/routes')).body).toEqual(before);
    const served = await inParallel(200, 8, () => gateway.infer('fraud', inferBody([{ amount: 1 }])));
    const onV2 = served.filter((answer) => answer.headers['x-model-version'] === '2').length;
    expect(served.every((answer) => answer.status === 200)).toBe(true);
    expect(onV2).toBeGreaterThan(110); // 150 expected; 110 is more than 5 standard deviations away
    expect(onV2).toBeLessThan(190);
  });
});
