/**
 * Two gateway replicas behind one canary (`deploy.gateway.urls`), on the real dev server with real
 * model-server processes: every route and weight change reaches both, the canary judges the sum of
 * their traffic, and their prediction logs, written side by side into one directory, are read
 * together (as the drift check reads them).
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCanaryHarness, type CanaryHarness } from '../support/canary-harness.js';
import { FEATURES_EXCLUDED, GATEWAY_TOKEN } from '../support/serving-stack.js';
import { startGateway, type RunningGateway } from '../../src/serving/gateway.js';
import { GatewayAdminClient } from '../../src/serving/gateway-admin-client.js';
import { sendTraffic, type TrafficStats } from '../../src/serving/traffic-generator.js';
import { readLogRows } from '../../src/serving/prediction-log-read.js';
import { PipelineDefinition } from '../../src/spec/schema.js';
import { canaryStatusQuery } from '../../src/temporal/contract.js';

let h: CanaryHarness;
let second: RunningGateway;
let adminB: GatewayAdminClient;
const traffic: { controller: AbortController; done: Promise<TrafficStats> }[] = [];

beforeAll(async () => {
  h = await startCanaryHarness('replicas');
  // The second replica writes its logs into the same directory as the first, keeping its own route table.
  second = await startGateway({ dataDir: h.dataDir, stateDir: await mkdtemp(path.join(os.tmpdir(), 'mlops-replica-b-')), adminToken: GATEWAY_TOKEN, flushIntervalMs: 500 });
  adminB = new GatewayAdminClient(second.url, GATEWAY_TOKEN);
});

afterAll(async () => {
  for (const { controller } of traffic) controller.abort();
  await Promise.all(traffic.map(({ done }) => done.catch(() => undefined)));
  await second?.close();
  await h?.close();
});

function replicated(model: string, deploy: Record<string, unknown> = {}): PipelineDefinition {
  const base = h.definition(model, deploy);
  return PipelineDefinition.parse({ ...base, deploy: { ...base.deploy, gateway: { urls: [h.stack.gateway.url, second.url] } } });
}

/** Traffic to one replica, as a load balancer would spread it. */
function startTraffic(gatewayUrl: string, model: string, requestsPerSecond: number): () => Promise<TrafficStats> {
  const controller = new AbortController();
  const features = h.stack.table.columns.map((c) => c.name).filter((n) => !FEATURES_EXCLUDED.includes(n));
  const done = sendTraffic({ gatewayUrl, model, table: h.stack.table, features, target: 'is_fraud', requestsPerSecond, durationMs: 10 * 60_000, labelShare: 0.5, labelDelayMs: 200, signal: controller.signal });
  traffic.push({ controller, done });
  return async () => {
    controller.abort();
    return done;
  };
}

async function weightsOn(admin: GatewayAdminClient, model: string): Promise<string> {
  const table = await admin.routes(model);
  return table ? table.routes.map((route) => `v${route.version}=${route.weight}`).join(' ') : 'none';
}

/** Polls both replicas until `until` settles; returns the distinct weight states each went through, in order. */
async function watchBoth(model: string, until: Promise<unknown>): Promise<{ a: string[]; b: string[] }> {
  const seen = { a: [] as string[], b: [] as string[] };
  let settled = false;
  void until.finally(() => (settled = true));
  const note = (list: string[], state: string) => {
    if (list.at(-1) !== state) list.push(state);
  };
  while (!settled) {
    const [a, b] = await Promise.all([weightsOn(h.admin, model), weightsOn(adminB, model)]);
    note(seen.a, a);
    note(seen.b, b);
    await sleep(50);
  }
  note(seen.a, await weightsOn(h.admin, model));
  note(seen.b, await weightsOn(adminB, model));
  return seen;
}

describe('a canary across two gateway replicas', () => {
  it('moves both replicas through every step together and promotes on their summed traffic; both logs are read as one', async () => {
    const model = 'replicas-promote';
    const [champion, candidate] = await h.stack.registerVersions(model, 2);
    const first = await h.rollout({ definition: replicated(model), canaryVersion: champion! });
    expect(await h.env.run(() => first.result)).toMatchObject({ result: 'promoted', version: champion });
    expect(await weightsOn(adminB, model)).toBe(`v${champion}=100`);

    const from = Date.now();
    const stopA = startTraffic(h.stack.gateway.url, model, 60);
    const stopB = startTraffic(second.url, model, 60);
    const { handle, result } = await h.rollout({ definition: replicated(model), canaryVersion: candidate!, championVersion: champion! });
    const seen = await watchBoth(model, h.env.run(() => result));
    expect(await result).toMatchObject({ result: 'promoted', version: candidate });
    // The same steps on both (states that last milliseconds, like "routed at 0", may fall between two polls).
    const steps = (states: string[]) => states.filter((state) => state.includes(`v${candidate}=`) && !state.includes(`v${candidate}=0`));
    expect(steps(seen.a)).toEqual([`v${champion}=70 v${candidate}=30`, `v${champion}=40 v${candidate}=60`, `v${champion}=0 v${candidate}=100`]);
    expect(steps(seen.b)).toEqual(steps(seen.a));
    expect(seen.b.at(-1)).toBe(seen.a.at(-1));
    const status = await handle.query(canaryStatusQuery);
    expect(status.analysis.history.map((step) => step.weight)).toEqual([30, 60]);

    const [statsA, statsB] = await Promise.all([stopA(), stopB()]);
    await sleep(1500); // both logs flush every 500 ms
    const rows = await readLogRows(path.join(h.dataDir, 'predictions', `model=${model}`), from, Date.now(), 'ts');
    const answered = (stats: TrafficStats) => Object.values(stats.byVersion).reduce((sum, v) => sum + v.ok + v.errors, 0);
    expect(answered(statsA)).toBeGreaterThan(0);
    expect(answered(statsB)).toBeGreaterThan(0);
    // Every request either replica answered is in the one log directory, none overwritten by the other's files.
    expect(rows.length).toBe(answered(statsA) + answered(statsB));
  });

  it('rolls back on both replicas', async () => {
    const model = 'replicas-rollback';
    const [champion, candidate] = await h.stack.registerVersions(model, 2);
    const first = await h.rollout({ definition: replicated(model), canaryVersion: champion! });
    expect(await h.env.run(() => first.result)).toMatchObject({ result: 'promoted' });
    startTraffic(h.stack.gateway.url, model, 60);
    startTraffic(second.url, model, 60);
    const { result } = await h.rollout({ definition: replicated(model, { faults: { errorRate: 0.7, addedLatencyMs: 0 } }), canaryVersion: candidate!, championVersion: champion! });
    const seen = await watchBoth(model, h.env.run(() => result));
    expect(await result).toMatchObject({ result: 'rolled-back', reason: expect.stringMatching(/hard limit/) });
    const steps = (states: string[]) => states.filter((state) => state.includes(`v${candidate}=`) && !state.includes(`v${candidate}=0`));
    expect(steps(seen.a)).toEqual([`v${champion}=70 v${candidate}=30`]);
    expect(steps(seen.b)).toEqual(steps(seen.a));
    expect(await weightsOn(h.admin, model)).toBe(`v${champion}=100`);
    expect(await weightsOn(adminB, model)).toBe(`v${champion}=100`);
  });
});
