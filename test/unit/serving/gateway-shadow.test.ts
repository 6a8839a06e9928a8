/**
 * Shadow traffic in the gateway: a mirrored request never delays or changes the client's answer,
 * and a shadow version that hangs does not pile requests up (at most MAX_MIRRORS_IN_FLIGHT wait).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferBody, startFakeUpstream, type FakeUpstream } from './gateway-fake-upstream.js';
import { inParallel, makeDataDir, removeDataDir, startTestGateway, type TestGateway } from './gateway-test-client.js';
import { MAX_MIRRORS_IN_FLIGHT } from '../../../src/serving/gateway-serving-routes.js';

describe('gateway shadow traffic', () => {
  let dataDir: string;
  let gateway: TestGateway;
  let champion: FakeUpstream;
  let hanging: FakeUpstream;

  beforeAll(async () => {
    dataDir = await makeDataDir();
    champion = await startFakeUpstream(1);
    hanging = await startFakeUpstream(2, { beforeAnswer: () => 30_000 });
    // Enough connections that the shadow's own pool would not bound the pile-up: only the cap does.
    gateway = await startTestGateway({ dataDir, connectionsPerUpstream: 2000 });
    await gateway.admin('PUT', '/admin/models/fraud/versions/1', { url: champion.url });
    await gateway.admin('PUT', '/admin/models/fraud/versions/2', { url: hanging.url });
    await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 1: 100 } });
    expect((await gateway.admin('PUT', '/admin/models/fraud/mirror', { version: 2, percent: 100 })).body.mirror).toEqual({ version: 2, percent: 100 });
  });

  afterAll(async () => {
    await gateway.close();
    await champion.close();
    await hanging.close();
    await removeDataDir(dataDir);
  });

  it('answers every client from the champion while the shadow hangs, and mirrors at most the cap', async () => {
    const count = MAX_MIRRORS_IN_FLIGHT + 200;
    const started = Date.now();
    const answers = await inParallel(count, 32, (index) => gateway.infer('fraud', inferBody([{ amount: index }])));
    expect(answers.every((answer) => answer.status === 200 && answer.headers['x-model-version'] === '1')).toBe(true);
    expect(Date.now() - started).toBeLessThan(30_000); // no client waited for the hanging shadow
    expect(champion.received.length).toBe(count);
    // Mirrors leave after the answers: give them time to reach the shadow before counting.
    await sleep(1500);
    expect(hanging.received.length).toBeGreaterThan(MAX_MIRRORS_IN_FLIGHT / 2);
    expect(hanging.received.length).toBeLessThanOrEqual(MAX_MIRRORS_IN_FLIGHT);
  });
});
