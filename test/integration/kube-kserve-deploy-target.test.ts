/**
 * The kserve target against a real kube-apiserver with KServe's real InferenceService CRD: the
 * stored `spec.predictor.canaryTrafficPercent`, predictor spec and version annotations after every step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeBinariesAvailable, startKubeTestCluster, type KubeTestCluster } from '../support/kube-cluster.js';
import { InterceptedObjects } from '../support/kube-objects-interceptor.js';
import { KserveDeployTarget, LATEST_VERSION_ANNOTATION, PREVIOUS_VERSION_ANNOTATION } from '../../src/deploy/kserve-deploy-target.js';
import { INFERENCE_SERVICES, type KubernetesObject, type KubernetesObjects } from '../../src/deploy/k8s-client.js';
import { isNonRetryableDeployError, KubernetesRejectedError, VersionNotDeployedError } from '../../src/deploy/k8s-errors.js';

const available = kubeBinariesAvailable();
let cluster: KubeTestCluster;

type InferenceService = KubernetesObject<{ predictor: { canaryTrafficPercent?: number; model?: { storageUri: string; modelFormat: { name: string }; protocolVersion: string } } }>;

function kserve(objects: KubernetesObjects = cluster.objects) {
  return new KserveDeployTarget({ objects, namespace: 'default', storageUri: 's3://models/{model}/v{version}', modelFormat: 'sklearn', port: 8080, conflictRetries: 3 });
}
const read = async (name: string) => (await cluster.objects.read<InferenceService>(INFERENCE_SERVICES, 'default', name))!;
/** What the canary state of a stored InferenceService is, in one comparable object. */
const state = (isvc: InferenceService) => ({
  latest: isvc.metadata.annotations?.[LATEST_VERSION_ANNOTATION],
  previous: isvc.metadata.annotations?.[PREVIOUS_VERSION_ANNOTATION],
  canaryTrafficPercent: isvc.spec!.predictor.canaryTrafficPercent,
  storageUri: isvc.spec!.predictor.model?.storageUri,
});

describe.skipIf(!available)('kserve deploy target against a real kube-apiserver', () => {
  beforeAll(async () => {
    cluster = await startKubeTestCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('deploys a canary, sets each step, promotes, then rolls back the next canary; the stored object matches after every step', async () => {
    const target = kserve();
    await target.deployVersion('fraud', 1);
    let isvc = await read('fraud');
    expect(state(isvc)).toEqual({ latest: '1', previous: undefined, canaryTrafficPercent: undefined, storageUri: 's3://models/fraud/v1' });
    expect(isvc.spec!.predictor.model).toEqual({ modelFormat: { name: 'sklearn' }, protocolVersion: 'v2', storageUri: 's3://models/fraud/v1' });
    expect((await target.getTrafficSplit('fraud'))!.weights).toEqual({ 1: 100 });

    await target.deployVersion('fraud', 2);
    expect(state(await read('fraud'))).toEqual({ latest: '2', previous: '1', canaryTrafficPercent: 0, storageUri: 's3://models/fraud/v2' });

    for (const weight of [5, 25, 50]) {
      const split = await target.setTrafficWeights('fraud', { 2: weight, 1: 100 - weight });
      isvc = await read('fraud');
      expect(state(isvc)).toEqual({ latest: '2', previous: '1', canaryTrafficPercent: weight, storageUri: 's3://models/fraud/v2' });
      expect(split.weights).toEqual({ 1: 100 - weight, 2: weight });
      expect(split.live).toEqual([{ object: 'InferenceService default/fraud', resourceVersion: isvc.metadata.resourceVersion, values: { canaryTrafficPercent: weight, latestVersion: 2, previousVersion: 1 } }]);
    }
    // Promotion removes canaryTrafficPercent: the latest revision takes everything.
    await target.setTrafficWeights('fraud', { 2: 100, 1: 0 });
    isvc = await read('fraud');
    expect(state(isvc)).toEqual({ latest: '2', previous: '1', canaryTrafficPercent: undefined, storageUri: 's3://models/fraud/v2' });
    expect('canaryTrafficPercent' in isvc.spec!.predictor).toBe(false);
    await target.retireVersion('fraud', 1);
    expect(state(await read('fraud'))).toEqual({ latest: '2', previous: undefined, canaryTrafficPercent: undefined, storageUri: 's3://models/fraud/v2' });

    // The next canary is rolled back: canaryTrafficPercent 0, then the spec returns to v2.
    await target.deployVersion('fraud', 3);
    await target.setTrafficWeights('fraud', { 3: 25, 2: 75 });
    expect(state(await read('fraud'))).toEqual({ latest: '3', previous: '2', canaryTrafficPercent: 25, storageUri: 's3://models/fraud/v3' });
    await target.setTrafficWeights('fraud', { 2: 100, 3: 0 });
    expect(state(await read('fraud'))).toEqual({ latest: '3', previous: '2', canaryTrafficPercent: 0, storageUri: 's3://models/fraud/v3' });
    await target.retireVersion('fraud', 3);
    expect(state(await read('fraud'))).toEqual({ latest: '2', previous: undefined, canaryTrafficPercent: undefined, storageUri: 's3://models/fraud/v2' });
    expect((await target.getTrafficSplit('fraud'))!.weights).toEqual({ 2: 100 });
  });

  it('is idempotent, and deploying the champion beside its canary changes nothing', async () => {
    const objects = new InterceptedObjects(cluster.objects);
    const target = kserve(objects);
    await target.deployVersion('repeat', 1);
    await target.deployVersion('repeat', 2);
    await target.setTrafficWeights('repeat', { 2: 5, 1: 95 });
    const version = (await read('repeat')).metadata.resourceVersion;
    const writes = objects.writes.length;
    await target.deployVersion('repeat', 2);
    await target.deployVersion('repeat', 1);
    await target.setTrafficWeights('repeat', { 2: 5, 1: 95 });
    expect(objects.writes.length).toBe(writes);
    expect((await read('repeat')).metadata.resourceVersion).toBe(version);
  });

  it('recovers from a 409 caused by a concurrent writer between its read and its write', async () => {
    const objects = new InterceptedObjects(cluster.objects);
    const target = kserve(objects);
    await target.deployVersion('race', 1);
    await target.deployVersion('race', 2);
    objects.interleaveBeforePatch(INFERENCE_SERVICES, async (namespace, name) => {
      await cluster.objects.patch(INFERENCE_SERVICES, namespace, name, { metadata: { labels: { 'edited-by': 'someone-else' } }, spec: { predictor: { canaryTrafficPercent: 60 } } });
    });
    await target.setTrafficWeights('race', { 2: 25, 1: 75 });
    expect(objects.conflicts).toBe(1);
    const isvc = await read('race');
    expect(isvc.spec!.predictor.canaryTrafficPercent).toBe(25);
    expect(isvc.metadata.labels?.['edited-by']).toBe('someone-else');
  });

  it('surfaces bodies the server refuses (unknown field under Strict, wrong type) as non-retryable errors naming the field', async () => {
    const objects = new InterceptedObjects(cluster.objects);
    const target = kserve(objects);
    await target.deployVersion('strict', 1);
    await target.deployVersion('strict', 2);
    objects.editNextWrite((patch) => {
      patch.spec.predictor.canaryTrafficPercentage = 10;
    });
    const unknown = (await target.setTrafficWeights('strict', { 2: 10, 1: 90 }).catch((e: unknown) => e)) as KubernetesRejectedError;
    expect(unknown).toBeInstanceOf(KubernetesRejectedError);
    expect(isNonRetryableDeployError(unknown)).toBe(true);
    expect(unknown.fields).toEqual(['spec.predictor.canaryTrafficPercentage']);

    objects.editNextWrite((patch) => {
      patch.spec.predictor.canaryTrafficPercent = 'ten';
    });
    const invalid = (await target.setTrafficWeights('strict', { 2: 10, 1: 90 }).catch((e: unknown) => e)) as KubernetesRejectedError;
    expect(invalid).toBeInstanceOf(KubernetesRejectedError);
    expect(invalid.code).toBe(422);
    expect(invalid.fields).toContain('spec.predictor.canaryTrafficPercent');
    expect(state(await read('strict')).canaryTrafficPercent).toBe(0);
  });

  it('refuses traffic for a version that is neither revision', async () => {
    const target = kserve();
    await target.deployVersion('third', 1);
    await target.deployVersion('third', 2);
    const error = await target.setTrafficWeights('third', { 2: 50, 7: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionNotDeployedError);
  });
});
