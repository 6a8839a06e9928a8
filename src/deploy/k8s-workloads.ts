/**
 * A model's pods on a cluster: one Deployment and one Service per version, plus the model's stable
 * Service that selects every version's pods (the kubernetes-deployment target's traffic path and
 * the Istio host). Used by the kubernetes-deployment target and by istio with cluster serving.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEPLOYMENTS, SERVICES, type KubernetesObject, type KubernetesObjects } from './k8s-client.js';
import { changeObject, sameJson } from './k8s-object-update.js';
import { VERSION_LABEL, fillVersionTemplate, renderManifest, type ModelObjects } from './k8s-manifests.js';
import type { DeployOptions } from './deploy-target.js';
import { faultServeArgs } from './drill-faults.js';

export interface DeploymentSpec {
  replicas?: number;
  template?: { spec?: { containers?: { name: string; image?: string; args?: string[] }[] } };
}
export interface DeploymentStatus {
  observedGeneration?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
}
export type Deployment = KubernetesObject<DeploymentSpec, DeploymentStatus>;

export interface WorkloadSettings {
  /** Image template (`{model}`, `{version}`). */
  image: string;
  port: number;
  /** 0 = do not wait for pods (a bare API server never starts any). */
  readyTimeoutMs: number;
  conflictRetries: number;
}

export class VersionWorkloads {
  constructor(
    private readonly objects: KubernetesObjects,
    private readonly names: ModelObjects,
    private readonly settings: WorkloadSettings,
  ) {}

  /** The model's Service over all versions' pods; created once, never changed by traffic moves. */
  async ensureStableService(): Promise<void> {
    const { names } = this;
    await changeObject(this.objects, {
      kind: SERVICES, namespace: names.namespace, name: names.base, conflictRetries: this.settings.conflictRetries,
      create: () => renderManifest('service', { serviceName: names.base, namespace: names.namespace, serviceLabels: names.labels, serviceSelector: { 'app.kubernetes.io/name': names.base }, port: this.settings.port }),
      change: () => undefined,
    });
  }

  /** Creates the version's Deployment (with `replicas` when new) and Service; an existing one keeps its replicas. */
  async ensureVersion(version: number, replicas: number, options: DeployOptions = {}): Promise<Deployment> {
    const { names } = this;
    const wanted = renderManifest<Deployment>('version-deployment', {
      versionName: names.versionName(version), namespace: names.namespace,
      versionLabels: names.versionLabels(version), versionSelector: names.versionSelector(version),
      replicas, image: fillVersionTemplate(this.settings.image, names.model, version), port: this.settings.port,
      serverArgs: serverArgs(names.model, version, this.settings.port, options.faults),
    });
    const wantedContainer = wanted.spec!.template!.spec!.containers![0]!;
    const deployment = await changeObject<Deployment>(this.objects, {
      kind: DEPLOYMENTS, namespace: names.namespace, name: names.versionName(version), conflictRetries: this.settings.conflictRetries,
      create: () => wanted,
      change: (current) => {
        const container = current.spec?.template?.spec?.containers?.find((c) => c.name === wantedContainer.name);
        if (container?.image === wantedContainer.image && sameJson(container?.args, wantedContainer.args)) return undefined;
        // Strategic merge: the container list merges by name, so only this container's image and args change.
        return { spec: { template: { spec: { containers: [{ name: wantedContainer.name, image: wantedContainer.image, args: wantedContainer.args }] } } } };
      },
    });
    await changeObject(this.objects, {
      kind: SERVICES, namespace: names.namespace, name: names.versionName(version), conflictRetries: this.settings.conflictRetries,
      create: () => renderManifest('service', { serviceName: names.versionName(version), namespace: names.namespace, serviceLabels: names.versionLabels(version), serviceSelector: names.versionSelector(version), port: this.settings.port }),
      change: () => undefined,
    });
    return deployment!;
  }

  async list(): Promise<Deployment[]> {
    return this.objects.list<Deployment>(DEPLOYMENTS, this.names.namespace, this.names.selector);
  }

  /** Sets the version's replica count; returns the Deployment as stored, or undefined when it does not exist. */
  async scale(version: number, replicas: number): Promise<Deployment | undefined> {
    return changeObject<Deployment>(this.objects, {
      kind: DEPLOYMENTS, namespace: this.names.namespace, name: this.names.versionName(version), conflictRetries: this.settings.conflictRetries,
      change: (current) => (current.spec?.replicas === replicas ? undefined : { spec: { replicas } }),
    });
  }

  /** Waits until the controller reports every replica of the current spec available. */
  async waitAvailable(version: number, heartbeat?: (details: string) => void): Promise<void> {
    if (this.settings.readyTimeoutMs <= 0) return;
    const deadline = Date.now() + this.settings.readyTimeoutMs;
    const name = this.names.versionName(version);
    for (;;) {
      const deployment = await this.objects.read<Deployment>(DEPLOYMENTS, this.names.namespace, name);
      if (!deployment) throw new Error(`Deployment ${this.names.namespace}/${name} disappeared while waiting for its pods`);
      const want = deployment.spec?.replicas ?? 1;
      const status = deployment.status ?? {};
      const current = (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0);
      if (current && (status.availableReplicas ?? 0) >= want && (status.updatedReplicas ?? 0) >= want) return;
      if (Date.now() > deadline) {
        throw new Error(`Deployment ${this.names.namespace}/${name}: ${status.availableReplicas ?? 0}/${want} pods available after ${this.settings.readyTimeoutMs} ms (deploy.kubernetes.readyTimeout)`);
      }
      heartbeat?.(`waiting for ${name}: ${status.availableReplicas ?? 0}/${want} available`);
      await sleep(1_000);
    }
  }

  async remove(version: number): Promise<void> {
    await this.objects.delete(DEPLOYMENTS, this.names.namespace, this.names.versionName(version));
    await this.objects.delete(SERVICES, this.names.namespace, this.names.versionName(version));
  }

  versionUrl(version: number): string {
    return `http://${this.names.versionName(version)}.${this.names.namespace}.svc.cluster.local:${this.settings.port}`;
  }
}

export function versionOf(deployment: Deployment): number {
  return Number(deployment.metadata.labels?.[VERSION_LABEL]);
}

function serverArgs(model: string, version: number, port: number, faults: DeployOptions['faults']): string[] {
  return ['serve', '--model', model, '--version', String(version), '--port', String(port), '--host', '0.0.0.0', ...faultServeArgs(faults)];
}
