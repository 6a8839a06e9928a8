/**
 * Local serving under Kubernetes routing objects: the cluster target writes (and verifies) the
 * VirtualService / InferenceService / Deployments, the local target runs each version as a local
 * model-server process behind the gateway, which carries the traffic. For a bare API server (no
 * kubelet, no mesh), demos and tests: the same canaryRollout drives both, the cluster first.
 */
import type { DeployedVersion, DeployOptions, DeployTarget, TrafficSplit } from './deploy-target.js';
import { TrafficMismatchError } from './k8s-errors.js';

export class LocallyServedTarget implements DeployTarget {
  constructor(
    private readonly cluster: DeployTarget,
    private readonly local: DeployTarget,
  ) {}

  async deployVersion(model: string, version: number, options: DeployOptions = {}): Promise<DeployedVersion> {
    const routed = await this.cluster.deployVersion(model, version, options);
    const served = await this.local.deployVersion(model, version, options);
    // The gateway mirrors the cluster's split from the start (a lone version takes all traffic there).
    const split = await this.cluster.getTrafficSplit(model);
    if (split) await this.local.setTrafficWeights(model, split.weights);
    return { ...served, ref: `${routed.ref}; ${served.ref}` };
  }

  async setTrafficWeights(model: string, weights: Record<number, number>): Promise<TrafficSplit> {
    const split = await this.cluster.setTrafficWeights(model, weights);
    const mirrored = await this.local.setTrafficWeights(model, split.weights);
    const differs = Object.keys(split.weights).filter((v) => (mirrored.weights[Number(v)] ?? 0) !== split.weights[Number(v)]);
    if (differs.length) throw new TrafficMismatchError(`the local gateway holds ${JSON.stringify(mirrored.weights)} while the cluster holds ${JSON.stringify(split.weights)}`);
    return split;
  }

  getTrafficSplit(model: string): Promise<TrafficSplit | undefined> {
    return this.cluster.getTrafficSplit(model);
  }

  async retireVersion(model: string, version: number): Promise<void> {
    await this.cluster.retireVersion(model, version);
    await this.local.retireVersion(model, version);
  }
}
