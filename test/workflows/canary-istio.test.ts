/**
 * The whole canaryRollout with `deploy.target: istio` against a real kube-apiserver with Istio's
 * CRDs. Nothing reconciles pods there, so serving runs locally (`kubernetes.serving: local`): the
 * adapter writes the DestinationRule and VirtualService, and the local gateway, mirroring the same
 * weights, carries the traffic the analysis measures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { GATEWAY_TOKEN, startServingStack, type ServingStack } from '../support/serving-stack.js';
import { kubeBinariesAvailable, startKubeTestCluster, type KubeTestCluster } from '../support/kube-cluster.js';
import { PipelineDefinition } from '../../src/spec/schema.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import { GatewayAdminClient } from '../../src/serving/gateway-admin-client.js';
import { DESTINATION_RULES, VIRTUAL_SERVICES, type KubernetesObject } from '../../src/deploy/k8s-client.js';
import { canaryStatusQuery } from '../../workflows/messages.js';
import type { CanaryOutcome, CanaryStatus } from '../../workflows/canary-status.js';
import type { CanaryRolloutInput } from '../../workflows/canaryRollout.js';

const available = kubeBinariesAvailable();
let cluster: KubeTestCluster;
let env: WorkflowTestEnvironment;
let stack: ServingStack;
let admin: GatewayAdminClient;
let dataDir: string;
const stopTraffic: Array<() => Promise<unknown>> = [];

type VirtualService = KubernetesObject<{ http: { name: string; route: { destination: { subset: string }; weight?: number }[] }[] }>;
type DestinationRule = KubernetesObject<{ subsets: { name: string }[] }>;

function definition(model: string, faults?: { errorRate: number; addedLatencyMs: number }): PipelineDefinition {
  return PipelineDefinition.parse({
    model,
    data: { source: 'unused.csv', target: 'is_fraud' },
    deploy: {
      target: 'istio',
      gateway: { url: stack.gateway.url },
      kubernetes: { kubeconfig: cluster.kubeconfig, namespace: 'default', serving: 'local' },
      ...(faults ? { faults } : {}),
      canary: {
        steps: [{ weight: 30 }, { weight: 60 }],
        slaWindow: '4s',
        interval: '1s',
        metricsWindow: '1s', minChecksWithEvidence: 1,
        sla: { errorRate: { max: 0.03 }, latencyP99Ms: { max: 1000 }, minSamples: 10 },
        hardLimits: { errorRate: { max: 0.45 } },
        errorRateTest: { enabled: false },
        consecutiveErrorLimit: 3,
      },
    },
  });
}

async function rollout(input: CanaryRolloutInput): Promise<{ handle: WorkflowHandle; result: Promise<CanaryOutcome> }> {
  const handle = await env.client.workflow.start('canaryRollout', {
    taskQueue: env.settings.taskQueue,
    workflowId: `canary/${input.definition.model}/${input.canaryVersion}/${randomUUID()}`,
    args: [input],
  });
  return { handle, result: handle.result() as Promise<CanaryOutcome> };
}

async function modelWithChampion(name: string) {
  const [champion, candidate] = await stack.registerVersions(name, 2);
  const first = await rollout({ definition: definition(name), canaryVersion: champion! });
  expect(await env.run(() => first.result)).toMatchObject({ result: 'promoted', version: champion });
  stopTraffic.push(stack.startTraffic(name, 120));
  return { champion: champion!, candidate: candidate! };
}

async function waitForStatus(handle: WorkflowHandle, predicate: (s: CanaryStatus) => boolean, timeoutMs = 30_000): Promise<CanaryStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(canaryStatusQuery);
    if (predicate(status)) return status;
    if (Date.now() > deadline) throw new Error(`status never matched; last: ${JSON.stringify({ phase: status.phase, weight: status.weight })}`);
    await sleep(100);
  }
}

/** subset → weight of the stored VirtualService's weighted route. */
async function virtualServiceWeights(model: string): Promise<Record<string, number | undefined>> {
  const vs = (await cluster.objects.read<VirtualService>(VIRTUAL_SERVICES, 'default', model))!;
  return Object.fromEntries(vs.spec!.http.find((h) => h.name === 'weighted')!.route.map((r) => [r.destination.subset, r.weight]));
}
async function gatewayWeights(model: string): Promise<Record<number, number>> {
  return Object.fromEntries((await admin.routes(model))!.routes.map((r) => [r.version, r.weight]));
}
async function champion(model: string): Promise<number | undefined> {
  const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
  try {
    return (await registry.getVersionByAlias(model, 'champion'))?.version;
  } finally {
    await registry.close();
  }
}

describe.skipIf(!available)('canaryRollout with deploy.target istio against a real kube-apiserver', () => {
  beforeAll(async () => {
    cluster = await startKubeTestCluster();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-canary-istio-'));
    stack = await startServingStack(dataDir);
    env = await createWorkflowTestEnvironment({ dataDir });
    admin = new GatewayAdminClient(stack.gateway.url, GATEWAY_TOKEN);
  });
  afterAll(async () => {
    for (const stop of stopTraffic) await stop();
    await env?.close();
    await stack?.close();
    await cluster?.stop();
  });

  it('promotes a healthy version: the VirtualService and the gateway hold the same weights at every step', async () => {
    const { champion: v1, candidate: v2 } = await modelWithChampion('istio-good');
    expect(await virtualServiceWeights('istio-good')).toEqual({ [`v${v1}`]: 100 });
    const { handle, result } = await rollout({ definition: definition('istio-good'), canaryVersion: v2, championVersion: v1 });
    await env.run(async () => {
      await waitForStatus(handle, (s) => s.phase === 'analysing' && s.weight === 30);
      expect(await virtualServiceWeights('istio-good')).toEqual({ [`v${v1}`]: 70, [`v${v2}`]: 30 });
      expect(await gatewayWeights('istio-good')).toEqual({ [v1]: 70, [v2]: 30 });
      await waitForStatus(handle, (s) => s.weight === 60);
      expect(await virtualServiceWeights('istio-good')).toEqual({ [`v${v1}`]: 40, [`v${v2}`]: 60 });
      expect(await result).toMatchObject({ result: 'promoted', version: v2 });
    });
    expect(await virtualServiceWeights('istio-good')).toEqual({ [`v${v1}`]: 0, [`v${v2}`]: 100 });
    expect(await gatewayWeights('istio-good')).toEqual({ [v1]: 0, [v2]: 100 });
    expect(await champion('istio-good')).toBe(v2);
    const dr = (await cluster.objects.read<DestinationRule>(DESTINATION_RULES, 'default', 'istio-good'))!;
    expect(dr.spec!.subsets.map((s) => s.name)).toEqual([`v${v1}`, `v${v2}`]);
  });

  it('rolls back a bad version: the champion takes 100% in the VirtualService and the canary leaves routing', async () => {
    const { champion: v1, candidate: v2 } = await modelWithChampion('istio-bad');
    const { handle, result } = await rollout({ definition: definition('istio-bad', { errorRate: 0.7, addedLatencyMs: 0 }), canaryVersion: v2, championVersion: v1 });
    const outcome = await env.run(() => result);
    // The canary did take its first step's share before the hard limit sent it back.
    expect((await handle.query(canaryStatusQuery)).analysis.checks.some((c) => c.verdict === 'fail')).toBe(true);
    expect(outcome).toMatchObject({ result: 'rolled-back', version: v2 });
    expect(outcome.reason).toMatch(/hard limit/);
    expect(await virtualServiceWeights('istio-bad')).toEqual({ [`v${v1}`]: 100 });
    expect(await gatewayWeights('istio-bad')).toEqual({ [v1]: 100 });
    const dr = (await cluster.objects.read<DestinationRule>(DESTINATION_RULES, 'default', 'istio-bad'))!;
    expect(dr.spec!.subsets.map((s) => s.name)).toEqual([`v${v1}`]);
    expect(await champion('istio-bad')).toBe(v1);
  });
});
