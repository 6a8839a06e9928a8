/**
 * deploy/k8s/rbac.yaml is enough, and needed: every Kubernetes target, built by openDeployTarget
 * from a pipeline definition, runs a whole canary as the worker's service account against a real
 * kube-apiserver with RBAC on; before the Role is bound the same calls are Forbidden.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubeBinariesAvailable, startKubeTestCluster, type KubeTestCluster } from '../support/kube-cluster.js';
import { openDeployTarget } from '../../src/deploy/open-deploy-target.js';
import { DeploySection, type DeploySection as DeploySectionType } from '../../src/spec/schema.js';
import { KubernetesApiObjects, loadKubeConfig, SERVICES } from '../../src/deploy/k8s-client.js';
import { isNonRetryableDeployError, KubernetesRejectedError } from '../../src/deploy/k8s-errors.js';

const available = kubeBinariesAvailable();
let cluster: KubeTestCluster;

const root = path.resolve(import.meta.dirname, '../..');
const RESOURCE_PATHS: Record<string, string> = {
  ServiceAccount: '/api/v1/namespaces/default/serviceaccounts',
  Role: '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles',
  RoleBinding: '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings',
};

function section(target: 'kubernetes-deployment' | 'istio' | 'kserve'): DeploySectionType {
  return DeploySection.parse({
    target,
    kubernetes: {
      kubeconfig: cluster.workerKubeconfig, image: 'registry.local/{model}:v{version}', readyTimeout: '0s', replicas: 20,
      kserve: { storageUri: 's3://models/{model}/v{version}' },
    },
  });
}

async function wholeCanary(target: 'kubernetes-deployment' | 'istio' | 'kserve', model: string) {
  const deploy = openDeployTarget(section(target), { dataDir: '/nonexistent', gatewayToken: 'unused' });
  await deploy.deployVersion(model, 1);
  await deploy.setTrafficWeights(model, { 1: 100 });
  await deploy.deployVersion(model, 2);
  for (const w of [5, 25, 50]) await deploy.setTrafficWeights(model, { 2: w, 1: 100 - w });
  await deploy.setTrafficWeights(model, { 2: 100, 1: 0 });
  await deploy.retireVersion(model, 1);
  await deploy.deployVersion(model, 3);
  await deploy.setTrafficWeights(model, { 3: 5, 2: 95 });
  await deploy.setTrafficWeights(model, { 2: 100, 3: 0 });
  await deploy.retireVersion(model, 3);
  return deploy.getTrafficSplit(model);
}

describe.skipIf(!available)('the worker Role (deploy/k8s/rbac.yaml) against a real kube-apiserver with RBAC', () => {
  beforeAll(async () => {
    cluster = await startKubeTestCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('is Forbidden before the Role is bound: a clear non-retryable error', async () => {
    const error = (await openDeployTarget(section('istio'), { dataDir: '/nonexistent', gatewayToken: 'unused' }).deployVersion('before', 1).catch((e: unknown) => e)) as KubernetesRejectedError;
    expect(error).toBeInstanceOf(KubernetesRejectedError);
    expect(error.code).toBe(403);
    expect(isNonRetryableDeployError(error)).toBe(true);
    expect(error.message).toMatch(/system:serviceaccount:default:mlops-worker/);
  });

  it('lets every target run a whole canary once bound, and grants nothing beyond the verbs used', async () => {
    const manifests = parseAllDocuments(readFileSync(path.join(root, 'deploy/k8s/rbac.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string });
    expect(manifests.map((m) => m.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding']);
    for (const manifest of manifests) {
      const answer = await cluster.request('POST', `${RESOURCE_PATHS[manifest.kind]}?fieldValidation=Strict`, manifest);
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    }
    expect((await wholeCanary('kubernetes-deployment', 'plain'))!.weights).toEqual({ 2: 100 });
    expect((await wholeCanary('istio', 'mesh'))!.weights).toEqual({ 2: 100 });
    expect((await wholeCanary('kserve', 'kfs'))!.weights).toEqual({ 2: 100 });
    // The istio run with cluster serving created the versions' Deployments and Services too.
    expect(await cluster.objects.read(SERVICES, 'default', 'mesh-v2')).toBeDefined();

    const worker = new KubernetesApiObjects(loadKubeConfig({ kubeconfig: cluster.workerKubeconfig }));
    const listServices = (await worker.list(SERVICES, 'default', 'app=x').catch((e: unknown) => e)) as KubernetesRejectedError;
    expect(listServices).toBeInstanceOf(KubernetesRejectedError);
    expect(listServices.code).toBe(403);
  });
});
