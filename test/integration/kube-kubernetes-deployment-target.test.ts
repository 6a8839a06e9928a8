/**
 * The kubernetes-deployment target against a real kube-apiserver: each version's share of traffic
 * is its share of replicas, checked on the stored Deployments after every step. No controller runs
 * here, so the test plays the Deployment controller where pods must become available.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { kubeBinariesAvailable, startKubeTestCluster, type KubeTestCluster } from '../support/kube-cluster.js';
import { InterceptedObjects } from '../support/kube-objects-interceptor.js';
import { KubernetesDeploymentTarget } from '../../src/deploy/kubernetes-deployment-target.js';
import { DEPLOYMENTS, SERVICES, type KubernetesObject, type KubernetesObjects } from '../../src/deploy/k8s-client.js';
import { isNonRetryableDeployError, KubernetesRejectedError, TrafficGranularityError } from '../../src/deploy/k8s-errors.js';

const available = kubeBinariesAvailable();
let cluster: KubeTestCluster;

type Deployment = KubernetesObject<{ replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string; args: string[] }[] } } }>;
type Service = KubernetesObject<{ selector: Record<string, string>; ports: { port: number }[] }>;

function deployments(objects: KubernetesObjects = cluster.objects, options: { replicas?: number; readyTimeoutMs?: number } = {}) {
  return new KubernetesDeploymentTarget({
    objects, namespace: 'default', image: 'registry.local/{model}:v{version}', port: 8080,
    replicas: options.replicas ?? 20, readyTimeoutMs: options.readyTimeoutMs ?? 0, conflictRetries: 3,
  });
}
const replicas = async (model: string, ...versions: number[]) => {
  const out: Record<string, number | undefined> = {};
  for (const v of versions) out[`v${v}`] = (await cluster.objects.read<Deployment>(DEPLOYMENTS, 'default', `${model}-v${v}`))?.spec?.replicas;
  return out;
};

describe.skipIf(!available)('kubernetes-deployment target against a real kube-apiserver', () => {
  beforeAll(async () => {
    cluster = await startKubeTestCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('deploys a canary, sets each step by replicas, promotes, then rolls back the next canary; the stored Deployments match after every step', async () => {
    const target = deployments();
    const first = await target.deployVersion('fraud', 1);
    expect(first).toMatchObject({ url: 'http://fraud-v1.default.svc.cluster.local:8080', ref: 'Deployment default/fraud-v1' });
    const v1 = (await cluster.objects.read<Deployment>(DEPLOYMENTS, 'default', 'fraud-v1'))!;
    expect(v1.spec!.replicas).toBe(20);
    expect(v1.spec!.template.spec.containers[0]).toMatchObject({ image: 'registry.local/fraud:v1', args: ['serve', '--model', 'fraud', '--version', '1', '--port', '8080', '--host', '0.0.0.0'] });
    expect(v1.spec!.template.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'fraud', 'serving.mlops.dev/version': '1', version: 'v1' });
    const stable = (await cluster.objects.read<Service>(SERVICES, 'default', 'fraud'))!;
    expect(stable.spec!.selector).toEqual({ 'app.kubernetes.io/name': 'fraud' });
    expect((await cluster.objects.read<Service>(SERVICES, 'default', 'fraud-v1'))!.spec!.selector).toEqual({ 'app.kubernetes.io/name': 'fraud', 'serving.mlops.dev/version': '1' });

    await target.deployVersion('fraud', 2, { faults: { errorRate: 0.5, addedLatencyMs: 0 } });
    expect(await replicas('fraud', 1, 2)).toEqual({ v1: 20, v2: 0 });
    expect((await cluster.objects.read<Deployment>(DEPLOYMENTS, 'default', 'fraud-v2'))!.spec!.template.spec.containers[0]!.args).toContain('--fault-error-rate');

    for (const [weight, pods] of [[5, 1], [25, 5], [50, 10], [100, 20]] as const) {
      const split = await target.setTrafficWeights('fraud', { 2: weight, 1: 100 - weight });
      expect(await replicas('fraud', 1, 2)).toEqual({ v1: 20 - pods, v2: pods });
      expect(split.weights).toEqual({ 1: 100 - weight, 2: weight });
      expect(split.live?.map((l) => [l.object, l.values.replicas])).toEqual([['Deployment default/fraud-v1', 20 - pods], ['Deployment default/fraud-v2', pods]]);
    }
    await target.retireVersion('fraud', 1);
    expect(await replicas('fraud', 1, 2)).toEqual({ v1: undefined, v2: 20 });
    expect(await cluster.objects.read(SERVICES, 'default', 'fraud-v1')).toBeUndefined();

    await target.deployVersion('fraud', 3);
    await target.setTrafficWeights('fraud', { 3: 5, 2: 95 });
    expect(await replicas('fraud', 2, 3)).toEqual({ v2: 19, v3: 1 });
    await target.setTrafficWeights('fraud', { 2: 100, 3: 0 });
    expect(await replicas('fraud', 2, 3)).toEqual({ v2: 20, v3: 0 });
    await target.retireVersion('fraud', 3);
    expect((await target.getTrafficSplit('fraud'))!.weights).toEqual({ 2: 100 });
    expect(await cluster.objects.read(SERVICES, 'default', 'fraud')).toBeDefined();
  });

  it('refuses a weight the replica count cannot express (5% needs 20 replicas) and changes nothing', async () => {
    const objects = new InterceptedObjects(cluster.objects);
    const target = deployments(objects, { replicas: 10 });
    await target.deployVersion('coarse', 1);
    await target.deployVersion('coarse', 2);
    const writes = objects.writes.length;
    const error = (await target.setTrafficWeights('coarse', { 2: 5, 1: 95 }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(TrafficGranularityError);
    expect(isNonRetryableDeployError(error)).toBe(true);
    expect(error.message).toMatch(/steps of 10%.*5% needs a multiple of 20 replicas/);
    expect(objects.writes.length).toBe(writes);
    await target.setTrafficWeights('coarse', { 2: 30, 1: 70 });
    expect(await replicas('coarse', 1, 2)).toEqual({ v1: 7, v2: 3 });
  });

  it('scales the canary up and waits for its pods before scaling the champion down', async () => {
    const objects = new InterceptedObjects(cluster.objects);
    const target = deployments(objects, { readyTimeoutMs: 20_000 });
    // v1 alone gets all 20 pods and deployVersion waits for them: play the controller.
    const controller = playDeploymentController('ordered-v1', 1_000);
    await target.deployVersion('ordered', 1);
    const v1AvailableAt = await controller;
    await target.deployVersion('ordered', 2);
    const v2Ready = playDeploymentController('ordered-v2', 1_500);
    await target.setTrafficWeights('ordered', { 2: 25, 1: 75 });
    const v2AvailableAt = await v2Ready;
    const scaling = objects.writes.filter((w) => w.verb === 'patch' && w.kind === 'Deployment');
    expect(scaling.map((w) => [w.name, (w.body as { spec: { replicas: number } }).spec.replicas])).toEqual([['ordered-v2', 5], ['ordered-v1', 15]]);
    expect(scaling[1]!.at).toBeGreaterThanOrEqual(v2AvailableAt);
    expect(v1AvailableAt).toBeGreaterThan(0);
  });

  it('recovers from a 409 caused by a concurrent writer between its read and its write', async () => {
    const objects = new InterceptedObjects(cluster.objects);
    const target = deployments(objects);
    await target.deployVersion('race', 1);
    await target.deployVersion('race', 2);
    objects.interleaveBeforePatch(DEPLOYMENTS, async (namespace, name) => {
      await cluster.objects.patch(DEPLOYMENTS, namespace, name, { metadata: { labels: { 'edited-by': 'someone-else' } }, spec: { replicas: 3 } });
    });
    await target.setTrafficWeights('race', { 2: 25, 1: 75 });
    expect(objects.conflicts).toBe(1);
    expect(await replicas('race', 1, 2)).toEqual({ v1: 15, v2: 5 });
    expect((await cluster.objects.read<Deployment>(DEPLOYMENTS, 'default', 'race-v2'))!.metadata.labels?.['edited-by']).toBe('someone-else');
  });

  it('surfaces an unknown field refused under Strict validation as a non-retryable error naming the field', async () => {
    const objects = new InterceptedObjects(cluster.objects);
    const target = deployments(objects);
    await target.deployVersion('strict', 1);
    objects.editNextWrite((body) => {
      body.spec.template.spec.containers[0].imagePullPolicyy = 'Always';
    });
    const error = (await target.deployVersion('strict', 2).catch((e: unknown) => e)) as KubernetesRejectedError;
    expect(error).toBeInstanceOf(KubernetesRejectedError);
    expect(isNonRetryableDeployError(error)).toBe(true);
    expect(error.message).toMatch(/create Deployment default\/strict-v2 \(400 BadRequest\)/);
    expect(error.fields).toEqual(['spec.template.spec.containers[0].imagePullPolicyy']);
    expect(await cluster.objects.read(DEPLOYMENTS, 'default', 'strict-v2')).toBeUndefined();
  });
});

/** Writes what the Deployment controller would once the pods are up; resolves with the time it did. */
async function playDeploymentController(name: string, afterMs: number): Promise<number> {
  await sleep(afterMs);
  for (;; await sleep(200)) {
    const deployment = await cluster.objects.read<Deployment>(DEPLOYMENTS, 'default', name);
    // Not created or not scaled up yet: look again.
    if (!deployment || deployment.spec!.replicas === 0) continue;
    const want = deployment.spec!.replicas;
    const status = { observedGeneration: deployment.metadata.generation, replicas: want, availableReplicas: want, updatedReplicas: want, readyReplicas: want };
    const answer = await cluster.request('PATCH', `/apis/apps/v1/namespaces/default/deployments/${name}/status`, { status }, 'application/merge-patch+json');
    if (answer.status !== 200) throw new Error(`status write failed: ${JSON.stringify(answer.body)}`);
    return Date.now();
  }
}
