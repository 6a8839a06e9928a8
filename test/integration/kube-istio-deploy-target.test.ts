/**
 * The istio target against a real kube-apiserver with Istio's real CRDs: every step's stored
 * VirtualService and DestinationRule are read back from the server and checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeBinariesAvailable, startKubeTestCluster, type KubeTestCluster } from '../support/kube-cluster.js';
import { InterceptedObjects } from '../support/kube-objects-interceptor.js';
import { IstioDeployTarget } from '../../src/deploy/istio-deploy-target.js';
import { DESTINATION_RULES, VIRTUAL_SERVICES, type KubernetesObject, type KubernetesObjects } from '../../src/deploy/k8s-client.js';
import { isNonRetryableDeployError, KubernetesConflictError, KubernetesRejectedError, VersionNotDeployedError } from '../../src/deploy/k8s-errors.js';

const available = kubeBinariesAvailable();
let cluster: KubeTestCluster;

type VirtualService = KubernetesObject<{ hosts: string[]; http: { name: string; match?: unknown[]; route: { destination: { host: string; subset: string }; weight?: number }[] }[] }>;
type DestinationRule = KubernetesObject<{ host: string; subsets: { name: string; labels: Record<string, string> }[] }>;

function istio(objects: KubernetesObjects = cluster.objects, conflictRetries = 3) {
  return new IstioDeployTarget({ objects, namespace: 'default', pinHeader: 'x-model-version', port: 8080, conflictRetries });
}
const readVs = async (name: string) => (await cluster.objects.read<VirtualService>(VIRTUAL_SERVICES, 'default', name))!;
const readDr = async (name: string) => (await cluster.objects.read<DestinationRule>(DESTINATION_RULES, 'default', name))!;
/** The stored weighted route as subset → weight. */
const storedWeights = (vs: VirtualService) => Object.fromEntries(vs.spec!.http.find((h) => h.name === 'weighted')!.route.map((r) => [r.destination.subset, r.weight]));
const subsets = (dr: DestinationRule) => dr.spec!.subsets.map((s) => s.name);

describe.skipIf(!available)('istio deploy target against a real kube-apiserver', () => {
  beforeAll(async () => {
    cluster = await startKubeTestCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('deploys a canary, sets each step, promotes, then rolls back the next canary; the stored objects match after every step', async () => {
    const target = istio();
    await target.deployVersion('fraud', 1);
    let vs = await readVs('fraud');
    expect(storedWeights(vs)).toEqual({ v1: 100 });
    expect(vs.spec!.hosts).toEqual(['fraud']);
    expect(vs.spec!.http[0]).toEqual({
      name: 'pin-v1',
      match: [{ headers: { 'x-model-version': { exact: '1' } } }],
      route: [{ destination: { host: 'fraud.default.svc.cluster.local', subset: 'v1', port: { number: 8080 } } }],
    });
    expect((await readDr('fraud')).spec).toEqual({ host: 'fraud.default.svc.cluster.local', subsets: [{ name: 'v1', labels: { version: 'v1' } }] });

    await target.deployVersion('fraud', 2);
    expect(storedWeights(await readVs('fraud'))).toEqual({ v1: 100, v2: 0 });
    expect(subsets(await readDr('fraud'))).toEqual(['v1', 'v2']);

    for (const weight of [5, 25, 50, 100]) {
      const before = (await readVs('fraud')).metadata.resourceVersion;
      const split = await target.setTrafficWeights('fraud', { 2: weight, 1: 100 - weight });
      vs = await readVs('fraud');
      expect(storedWeights(vs)).toEqual({ v1: 100 - weight, v2: weight });
      expect(vs.metadata.resourceVersion).not.toBe(before);
      expect(split.weights).toEqual({ 1: 100 - weight, 2: weight });
      expect(split.live).toEqual([{ object: 'VirtualService default/fraud', resourceVersion: vs.metadata.resourceVersion, values: { 'weight[v1]': 100 - weight, 'weight[v2]': weight } }]);
    }
    // Promoted: the old champion stays routed at 0 until retired.
    await target.retireVersion('fraud', 1);
    vs = await readVs('fraud');
    expect(storedWeights(vs)).toEqual({ v2: 100 });
    expect(vs.spec!.http.map((h) => h.name)).toEqual(['pin-v2', 'weighted']);
    expect(subsets(await readDr('fraud'))).toEqual(['v2']);

    // The next canary is rolled back: traffic first, then the version leaves routing.
    await target.deployVersion('fraud', 3);
    await target.setTrafficWeights('fraud', { 3: 5, 2: 95 });
    expect(storedWeights(await readVs('fraud'))).toEqual({ v2: 95, v3: 5 });
    await target.setTrafficWeights('fraud', { 2: 100, 3: 0 });
    expect(storedWeights(await readVs('fraud'))).toEqual({ v2: 100, v3: 0 });
    await target.retireVersion('fraud', 3);
    expect(storedWeights(await readVs('fraud'))).toEqual({ v2: 100 });
    expect(subsets(await readDr('fraud'))).toEqual(['v2']);
    expect(await target.getTrafficSplit('fraud')).toMatchObject({ model: 'fraud', weights: { 2: 100 } });
  });

  it('is idempotent: repeating a deploy or a weight change writes nothing', async () => {
    const objects = new InterceptedObjects(cluster.objects);
    const target = istio(objects);
    await target.deployVersion('repeat', 1);
    await target.deployVersion('repeat', 2);
    await target.setTrafficWeights('repeat', { 1: 75, 2: 25 });
    const version = (await readVs('repeat')).metadata.resourceVersion;
    const writes = objects.writes.length;
    await target.deployVersion('repeat', 2);
    await target.setTrafficWeights('repeat', { 1: 75, 2: 25 });
    await target.retireVersion('repeat', 7);
    expect(objects.writes.length).toBe(writes);
    expect((await readVs('repeat')).metadata.resourceVersion).toBe(version);
  });

  it('recovers from a 409 caused by a concurrent writer between its read and its write', async () => {
    const objects = new InterceptedObjects(cluster.objects);
    const target = istio(objects);
    await target.deployVersion('race', 1);
    await target.deployVersion('race', 2);
    // Someone else (a human with kubectl) writes after our read: a label, and a different split.
    objects.interleaveBeforePatch(VIRTUAL_SERVICES, async (namespace, name) => {
      const current = await readVs(name);
      current.spec!.http.find((h) => h.name === 'weighted')!.route.forEach((r) => (r.weight = 50));
      await cluster.objects.patch(VIRTUAL_SERVICES, namespace, name, { metadata: { labels: { 'edited-by': 'someone-else' } }, spec: { http: current.spec!.http } });
    });
    const split = await target.setTrafficWeights('race', { 1: 95, 2: 5 });
    expect(objects.conflicts).toBe(1);
    const vs = await readVs('race');
    expect(storedWeights(vs)).toEqual({ v1: 95, v2: 5 });
    expect(vs.metadata.labels?.['edited-by']).toBe('someone-else');
    expect(split.weights).toEqual({ 1: 95, 2: 5 });
  });

  it('gives up with a retryable KubernetesConflictError when every attempt meets a conflict', async () => {
    const objects = new InterceptedObjects(cluster.objects);
    const target = istio(objects, 2);
    await target.deployVersion('busy', 1);
    await target.deployVersion('busy', 2);
    let n = 0;
    objects.interleaveBeforePatch(VIRTUAL_SERVICES, (namespace, name) => cluster.objects.patch(VIRTUAL_SERVICES, namespace, name, { metadata: { annotations: { bump: String(n++) } } }).then(() => undefined), 10);
    const error = await target.setTrafficWeights('busy', { 1: 50, 2: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubernetesConflictError);
    expect(isNonRetryableDeployError(error)).toBe(false);
    expect(objects.conflicts).toBe(3);
    expect(storedWeights(await readVs('busy'))).toEqual({ v1: 100, v2: 0 });
  });

  it('surfaces an unknown field refused under Strict validation as a non-retryable error naming the field', async () => {
    const objects = new InterceptedObjects(cluster.objects);
    const target = istio(objects);
    await target.deployVersion('strict', 1);
    await target.deployVersion('strict', 2);
    const before = await readVs('strict');
    objects.editNextWrite((patch) => {
      patch.spec.http.at(-1).route[0].wieght = 5;
    });
    const error = (await target.setTrafficWeights('strict', { 1: 90, 2: 10 }).catch((e: unknown) => e)) as KubernetesRejectedError;
    expect(error).toBeInstanceOf(KubernetesRejectedError);
    expect(error.name).toBe('KubernetesRejectedError');
    expect(isNonRetryableDeployError(error)).toBe(true);
    // Custom resources answer 422 Invalid (built-in kinds 400 BadRequest); either way the field is named.
    expect(error.code).toBe(422);
    expect(error.fields).toEqual(['spec.http[2].route[0].wieght']);
    expect(error.message).toBe('the API server rejected patch VirtualService default/strict (422 Invalid): strict decoding error: unknown field "spec.http[2].route[0].wieght" [fields: spec.http[2].route[0].wieght]');
    expect((await readVs('strict')).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('surfaces a schema violation (a weight that is not an integer) as a non-retryable 422 naming the field', async () => {
    const objects = new InterceptedObjects(cluster.objects);
    const target = istio(objects);
    await target.deployVersion('invalid', 1);
    await target.deployVersion('invalid', 2);
    objects.editNextWrite((patch) => {
      patch.spec.http.at(-1).route[1].weight = 'ten';
    });
    const error = (await target.setTrafficWeights('invalid', { 1: 90, 2: 10 }).catch((e: unknown) => e)) as KubernetesRejectedError;
    expect(error).toBeInstanceOf(KubernetesRejectedError);
    expect(error.code).toBe(422);
    expect(error.fields).toEqual(['spec.http[2].route[1].weight']);
    expect(error.message).toBe('the API server rejected patch VirtualService default/invalid (422 Invalid): Invalid value: "string": spec.http[2].route[1].weight in body must be of type integer: "string" [fields: spec.http[2].route[1].weight]');
  });

  it('refuses traffic for a version that was never deployed, and the server refuses strategic merge on the CRD', async () => {
    const target = istio();
    await target.deployVersion('missing', 1);
    const error = await target.setTrafficWeights('missing', { 1: 50, 4: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionNotDeployedError);
    expect(isNonRetryableDeployError(error)).toBe(true);
    // Why the adapter sends JSON merge patches: custom resources have no strategic-merge schema.
    const strategic = await cluster.request('PATCH', '/apis/networking.istio.io/v1/namespaces/default/virtualservices/missing', { metadata: { labels: { a: 'b' } } }, 'application/strategic-merge-patch+json');
    expect(strategic.status).toBe(415);
  });
});
