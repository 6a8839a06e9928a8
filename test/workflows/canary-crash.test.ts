import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { inject } from 'vitest';
import { startServingStack, GATEWAY_TOKEN, type ServingStack } from '../support/serving-stack.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';
import { PipelineDefinition } from '../../src/spec/schema.js';
import { GatewayAdminClient } from '../../src/serving/gateway-admin-client.js';
import { EmbeddedRegistry } from '../../src/registry/embedded-registry.js';
import { canaryStatusQuery } from '../../workflows/messages.js';
import type { CanaryOutcome, CanaryStatus } from '../../workflows/canary-status.js';
import type { Settings } from '../../src/temporal/settings.js';

let stack: ServingStack;
let client: Client;
let connection: Connection;
let settings: Settings;
const workers: WorkerProcess[] = [];
const stops: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-canary-crash-'));
  stack = await startServingStack(dataDir);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  settings = { temporalAddress: inject('temporalAddress'), namespace: 'default', taskQueue: `canary-crash-${randomUUID()}`, dataDir, webUiUrl: inject('temporalUiUrl') };
  workers.push(await startWorkerProcess(settings));
});
afterAll(async () => {
  for (const stop of stops) await stop();
  for (const w of workers) await w.kill();
  await connection?.close();
  await stack?.close();
});

function definition(model: string, faults?: { errorRate: number; addedLatencyMs: number }) {
  return PipelineDefinition.parse({
    model,
    data: { source: 'unused.csv', target: 'is_fraud' },
    deploy: {
      gateway: { url: stack.gateway.url },
      faults,
      canary: {
        steps: [{ weight: 20 }, { weight: 50 }, { weight: 80 }],
        slaWindow: '4s', interval: '1s', metricsWindow: '1s', minChecksWithEvidence: 1,
        sla: { errorRate: { max: 0.03 }, latencyP99Ms: { max: 1000 }, minSamples: 10 },
        hardLimits: { errorRate: { max: 0.5 } }, errorRateTest: { enabled: false },
      },
    },
  });
}

async function start(model: string, canaryVersion: number, championVersion?: number, faults?: { errorRate: number; addedLatencyMs: number }) {
  return client.workflow.start('canaryRollout', {
    taskQueue: settings.taskQueue,
    workflowId: `canary/${model}/${canaryVersion}/${randomUUID()}`,
    args: [{ definition: definition(model, faults), canaryVersion, championVersion }],
  });
}

async function waitForStatus(handle: WorkflowHandle, predicate: (s: CanaryStatus) => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = await handle.query(canaryStatusQuery).catch(() => undefined);
    if (status && predicate(status)) return;
    await sleep(100);
  }
  throw new Error('status never matched');
}

async function killAndReplaceWorker(): Promise<void> {
  await workers.at(-1)!.kill('SIGKILL');
  workers.push(await startWorkerProcess(settings));
}

async function auditOf(model: string) {
  const registry = await EmbeddedRegistry.open(path.join(settings.dataDir, 'registry'));
  try {
    return { events: await registry.listEvents(model), champion: (await registry.getVersionByAlias(model, 'champion'))?.version };
  } finally {
    await registry.close();
  }
}

describe('a worker killed (SIGKILL) in the middle of a canary', () => {
  const admin = () => new GatewayAdminClient(stack.gateway.url, GATEWAY_TOKEN);

  it('is replaced and the canary still promotes exactly once, with the right weights', async () => {
    const [champion, candidate] = await stack.registerVersions('crash-promote', 2);
    expect(((await (await start('crash-promote', champion!)).result()) as CanaryOutcome).result).toBe('promoted');
    stops.push(stack.startTraffic('crash-promote', 120));
    const handle = await start('crash-promote', candidate!, champion);
    await waitForStatus(handle, (s) => s.analysis.stepIndex === 1 && s.analysis.checks.length >= 1);
    await killAndReplaceWorker();
    const outcome = (await handle.result()) as CanaryOutcome;

    expect(outcome).toMatchObject({ result: 'promoted', version: candidate });
    const routes = await admin().routes('crash-promote');
    expect(Object.fromEntries(routes!.routes.map((r) => [r.version, r.weight]))).toEqual({ [champion!]: 0, [candidate!]: 100 });
    const { events, champion: now } = await auditOf('crash-promote');
    expect(now).toBe(candidate);
    const promotions = events.filter((e) => e.version === candidate && e.change.kind === 'alias-set' && e.change.alias === 'champion');
    expect(promotions).toHaveLength(1);
  }, 180_000);

  it('is replaced and a failing canary is rolled back exactly once', async () => {
    const [champion, candidate] = await stack.registerVersions('crash-rollback', 2);
    expect(((await (await start('crash-rollback', champion!)).result()) as CanaryOutcome).result).toBe('promoted');
    stops.push(stack.startTraffic('crash-rollback', 120));
    const handle = await start('crash-rollback', candidate!, champion, { errorRate: 0.12, addedLatencyMs: 0 });
    await waitForStatus(handle, (s) => s.analysis.counters.fail >= 1);
    await killAndReplaceWorker();
    const outcome = (await handle.result()) as CanaryOutcome;

    expect(outcome.result).toBe('rolled-back');
    const routes = await admin().routes('crash-rollback');
    expect(routes!.routes.map((r) => [r.version, r.weight])).toEqual([[champion, 100]]);
    const { events, champion: now } = await auditOf('crash-rollback');
    expect(now).toBe(champion);
    const rejections = events.filter((e) => e.version === candidate && e.change.kind === 'status' && e.change.to === 'rejected');
    expect(rejections).toHaveLength(1);
  }, 180_000);
});
