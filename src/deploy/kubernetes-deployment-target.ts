/**
 * Plain Kubernetes, no mesh: one Deployment and Service per version, and a stable Service over all
 * of them, so each version's share of traffic is its share of the pods. Coarse by nature: with
 * `replicas` pods in total a weight must be a multiple of 100/replicas percent (5% needs 20 pods).
 * Scale-ups happen (and become available) before scale-downs, so capacity never dips.
 */
import type { DeployedVersion, DeployOptions, DeployTarget, LiveObjectSummary, TrafficSplit } from './deploy-target.js';
import { describe, DEPLOYMENTS, type KubernetesObjects } from './k8s-client.js';
import { TrafficGranularityError, VersionNotDeployedError } from './k8s-errors.js';
import { ModelObjects } from './k8s-manifests.js';
import { checkWeights, expectStoredWeights } from './k8s-traffic.js';
import { VersionWorkloads, versionOf, type Deployment, type WorkloadSettings } from './k8s-workloads.js';

export interface KubernetesDeploymentTargetOptions extends WorkloadSettings {
  objects: KubernetesObjects;
  namespace: string;
  /** Base name of the objects; default: from the model name. */
  name?: string;
  /** Pods shared by all versions. */
  replicas: number;
}

export class KubernetesDeploymentTarget implements DeployTarget {
  constructor(private readonly options: KubernetesDeploymentTargetOptions) {}

  async deployVersion(model: string, version: number, deployOptions: DeployOptions = {}): Promise<DeployedVersion> {
    const workloads = this.workloads(model);
    await workloads.ensureStableService();
    const others = (await workloads.list()).filter((d) => versionOf(d) !== version);
    // A lone version takes every pod (and so all traffic); beside others it starts at weight 0.
    const initialReplicas = others.some((d) => (d.spec?.replicas ?? 0) > 0) ? 0 : this.options.replicas;
    const deployment = await workloads.ensureVersion(version, initialReplicas, deployOptions);
    if ((deployment.spec?.replicas ?? 0) > 0) await workloads.waitAvailable(version, deployOptions.heartbeat);
    return { model, version, url: workloads.versionUrl(version), ref: describe(DEPLOYMENTS, this.options.namespace, deployment.metadata.name) };
  }

  async setTrafficWeights(model: string, weights: Record<number, number>): Promise<TrafficSplit> {
    const asked = checkWeights(weights);
    const workloads = this.workloads(model);
    const deployed = new Map((await workloads.list()).map((d) => [versionOf(d), d]));
    const missing = [...asked].filter(([v, w]) => w > 0 && !deployed.has(v)).map(([v]) => `v${v}`);
    if (missing.length) throw new VersionNotDeployedError(`${model}: no Deployment for ${missing.join(', ')}; deploy it before giving it traffic`);

    const replicas = new Map([...deployed.keys()].map((v) => [v, this.replicasFor(asked.get(v) ?? 0)]));
    const current = (v: number) => deployed.get(v)?.spec?.replicas ?? 0;
    const ups = [...replicas].filter(([v, r]) => r > current(v));
    const downs = [...replicas].filter(([v, r]) => r < current(v));
    for (const [version, count] of ups) {
      await workloads.scale(version, count);
      await workloads.waitAvailable(version);
    }
    for (const [version, count] of downs) await workloads.scale(version, count);

    return expectStoredWeights(asked, await this.getTrafficSplit(model), `the Deployments of ${model}`);
  }

  async getTrafficSplit(model: string): Promise<TrafficSplit | undefined> {
    const deployments = await this.workloads(model).list();
    if (!deployments.length) return undefined;
    const total = deployments.reduce((sum, d) => sum + (d.spec?.replicas ?? 0), 0);
    const weights: Record<number, number> = {};
    for (const d of deployments) weights[versionOf(d)] = total ? Math.round(((d.spec?.replicas ?? 0) * 10_000) / total) / 100 : 0;
    return {
      model,
      weights,
      revision: Math.max(...deployments.map((d) => d.metadata.generation ?? 0)),
      live: deployments.map((d) => liveSummary(this.options.namespace, d)),
    };
  }

  async retireVersion(model: string, version: number): Promise<void> {
    await this.workloads(model).remove(version);
  }

  private replicasFor(weight: number): number {
    const pods = (weight * this.options.replicas) / 100;
    if (!Number.isInteger(pods)) {
      const step = 100 / this.options.replicas;
      throw new TrafficGranularityError(
        `${weight}% of ${this.options.replicas} replicas is ${pods} pods: with deploy.kubernetes.replicas = ${this.options.replicas} weights move in steps of ${step}% ` +
          `(${weight}% needs a multiple of ${100 / gcd(weight, 100)} replicas), or use the istio or kserve target for fine-grained splits`,
      );
    }
    return pods;
  }

  private workloads(model: string): VersionWorkloads {
    return new VersionWorkloads(this.options.objects, new ModelObjects(model, this.options.namespace, this.options.name), this.options);
  }
}

function liveSummary(namespace: string, d: Deployment): LiveObjectSummary {
  return {
    object: describe(DEPLOYMENTS, namespace, d.metadata.name),
    resourceVersion: d.metadata.resourceVersion ?? '',
    values: { replicas: d.spec?.replicas ?? 0, availableReplicas: d.status?.availableReplicas ?? 0 },
  };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
