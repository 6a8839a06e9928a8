/**
 * Istio: a DestinationRule with one subset per version and a VirtualService whose weighted route
 * the canary moves (whole percents summing to 100). A header route per version pins a request to
 * that version whatever the weights (`x-model-version: 3`). A JSON merge patch replaces the whole
 * `spec.http` list, so every write sends all of it, conditioned on the resourceVersion it read.
 *
 * With cluster serving the versions' pods come from VersionWorkloads; with local serving the
 * caller composes this target with the local one (see k8s-locally-served-target.ts).
 */
import type { DeployedVersion, DeployOptions, DeployTarget, TrafficSplit } from './deploy-target.js';
import { DESTINATION_RULES, VIRTUAL_SERVICES, describe, type KubernetesObject, type KubernetesObjects } from './k8s-client.js';
import { InvalidWeightsError, VersionNotDeployedError } from './k8s-errors.js';
import { ModelObjects, renderManifest } from './k8s-manifests.js';
import { changeObject, sameJson } from './k8s-object-update.js';
import { checkWeights, expectStoredWeights } from './k8s-traffic.js';
import { VersionWorkloads, type WorkloadSettings } from './k8s-workloads.js';

interface RouteDestination {
  destination: { host: string; subset?: string; port?: { number: number } };
  weight?: number;
}
interface HttpRoute {
  name?: string;
  match?: { headers?: Record<string, { exact?: string }> }[];
  route?: RouteDestination[];
}
type VirtualService = KubernetesObject<{ hosts?: string[]; gateways?: string[]; http?: HttpRoute[] }>;
type DestinationRule = KubernetesObject<{ host: string; subsets?: { name: string; labels?: Record<string, string> }[] }>;

const WEIGHTED_ROUTE = 'weighted';

export interface IstioDeployTargetOptions {
  objects: KubernetesObjects;
  namespace: string;
  name?: string;
  hosts?: string[];
  gateways?: string[];
  pinHeader: string;
  port: number;
  conflictRetries: number;
  /** Cluster serving: the versions' Deployments (`replicas` pods each). Absent: pods are someone else's concern. */
  workloads?: WorkloadSettings & { replicas: number };
}

export class IstioDeployTarget implements DeployTarget {
  constructor(private readonly options: IstioDeployTargetOptions) {}

  async deployVersion(model: string, version: number, deployOptions: DeployOptions = {}): Promise<DeployedVersion> {
    const names = this.names(model);
    const workloads = this.workloads(names);
    if (workloads) {
      await workloads.ensureStableService();
      await workloads.ensureVersion(version, this.options.workloads!.replicas, deployOptions);
      await workloads.waitAvailable(version, deployOptions.heartbeat);
    }
    await this.change<DestinationRule>(names, DESTINATION_RULES, {
      create: () => renderManifest('destinationrule', { name: names.base, namespace: names.namespace, labels: names.labels, host: names.host, subsets: [subsetOf(names, version)] }),
      change: (current) => {
        const subsets = current.spec?.subsets ?? [];
        if (subsets.some((s) => s.name === names.subset(version))) return undefined;
        return { spec: { subsets: [...subsets, subsetOf(names, version)] } };
      },
    });
    await this.change<VirtualService>(names, VIRTUAL_SERVICES, {
      // A lone version takes all traffic: Istio sends everything to a sole destination anyway.
      create: () => this.virtualService(names, new Map([[version, 100]])),
      change: (current) => {
        const weights = routedWeights(current);
        if (!weights.has(version)) weights.set(version, weights.size ? 0 : 100);
        return this.httpPatch(names, current, weights);
      },
    });
    const url = workloads ? workloads.versionUrl(version) : `http://${names.host}:${this.options.port}`;
    return { model, version, url, ref: `${describe(VIRTUAL_SERVICES, names.namespace, names.base)} subset ${names.subset(version)}` };
  }

  async setTrafficWeights(model: string, weights: Record<number, number>): Promise<TrafficSplit> {
    const asked = checkWeights(weights);
    const names = this.names(model);
    const subsets = new Set((await this.options.objects.read<DestinationRule>(DESTINATION_RULES, names.namespace, names.base))?.spec?.subsets?.map((s) => s.name) ?? []);
    await this.change<VirtualService>(names, VIRTUAL_SERVICES, {
      change: (current) => {
        const routed = routedWeights(current);
        const missing = [...asked].filter(([v, w]) => w > 0 && (!routed.has(v) || !subsets.has(names.subset(v)))).map(([v]) => `v${v}`);
        if (missing.length) throw new VersionNotDeployedError(`${model}: ${missing.join(', ')} not in the VirtualService and DestinationRule ${names.namespace}/${names.base}; deploy it first`);
        return this.httpPatch(names, current, new Map([...routed.keys()].map((v) => [v, asked.get(v) ?? 0])));
      },
    }).then((stored) => {
      if (!stored) throw new VersionNotDeployedError(`${model}: no VirtualService ${names.namespace}/${names.base}; deploy a version first`);
    });
    return expectStoredWeights(asked, await this.getTrafficSplit(model), describe(VIRTUAL_SERVICES, names.namespace, names.base));
  }

  async getTrafficSplit(model: string): Promise<TrafficSplit | undefined> {
    const names = this.names(model);
    const vs = await this.options.objects.read<VirtualService>(VIRTUAL_SERVICES, names.namespace, names.base);
    if (!vs) return undefined;
    const weights = routedWeights(vs);
    return {
      model,
      weights: Object.fromEntries(weights),
      revision: vs.metadata.generation ?? 0,
      live: [{
        object: describe(VIRTUAL_SERVICES, names.namespace, names.base),
        resourceVersion: vs.metadata.resourceVersion ?? '',
        values: Object.fromEntries([...weights].map(([v, w]) => [`weight[${names.subset(v)}]`, w])),
      }],
    };
  }

  async retireVersion(model: string, version: number): Promise<void> {
    const names = this.names(model);
    await this.change<VirtualService>(names, VIRTUAL_SERVICES, {
      change: (current) => {
        const weights = routedWeights(current);
        if (!weights.has(version)) return undefined;
        if ((weights.get(version) ?? 0) > 0 && weights.size > 1) {
          throw new InvalidWeightsError(`v${version} still takes ${weights.get(version)}% of ${model}'s traffic; move it to other versions before retiring it`);
        }
        weights.delete(version);
        return this.httpPatch(names, current, weights);
      },
    });
    await this.change<DestinationRule>(names, DESTINATION_RULES, {
      change: (current) => {
        const subsets = current.spec?.subsets ?? [];
        if (!subsets.some((s) => s.name === names.subset(version))) return undefined;
        return { spec: { subsets: subsets.filter((s) => s.name !== names.subset(version)) } };
      },
    });
    await this.workloads(names)?.remove(version);
  }

  private virtualService(names: ModelObjects, weights: Map<number, number>): VirtualService {
    return renderManifest<VirtualService>('virtualservice', {
      name: names.base, namespace: names.namespace, labels: names.labels,
      hosts: this.options.hosts ?? [names.base], gateways: this.options.gateways, http: this.http(names, weights),
    });
  }

  /** The patch that makes `current` route `weights` (and the configured hosts), or undefined when it already does. */
  private httpPatch(names: ModelObjects, current: VirtualService, weights: Map<number, number>): Record<string, unknown> | undefined {
    const wanted = this.virtualService(names, weights).spec!;
    const spec = current.spec ?? {};
    if (sameJson(spec.http, wanted.http) && sameJson(spec.hosts, wanted.hosts) && sameJson(spec.gateways, wanted.gateways)) return undefined;
    return { spec: { hosts: wanted.hosts, gateways: wanted.gateways ?? null, http: wanted.http } };
  }

  /** Pin routes first (most specific), then the weighted route; versions in ascending order. */
  private http(names: ModelObjects, weights: Map<number, number>): HttpRoute[] {
    const versions = [...weights.keys()].sort((a, b) => a - b);
    const destination = (v: number) => ({ host: names.host, subset: names.subset(v), port: { number: this.options.port } });
    if (!versions.length) return [];
    return [
      ...versions.map((v) => ({ name: `pin-${names.subset(v)}`, match: [{ headers: { [this.options.pinHeader]: { exact: String(v) } } }], route: [{ destination: destination(v) }] })),
      { name: WEIGHTED_ROUTE, route: versions.map((v) => ({ destination: destination(v), weight: weights.get(v)! })) },
    ];
  }

  private change<T extends KubernetesObject>(names: ModelObjects, kind: typeof VIRTUAL_SERVICES, spec: { create?: () => T; change: (current: T) => Record<string, unknown> | undefined }) {
    return changeObject<T>(this.options.objects, { kind, namespace: names.namespace, name: names.base, conflictRetries: this.options.conflictRetries, ...spec });
  }

  private names(model: string): ModelObjects {
    return new ModelObjects(model, this.options.namespace, this.options.name);
  }

  private workloads(names: ModelObjects): VersionWorkloads | undefined {
    return this.options.workloads && new VersionWorkloads(this.options.objects, names, this.options.workloads);
  }
}

function subsetOf(names: ModelObjects, version: number) {
  return { name: names.subset(version), labels: { version: names.subset(version) } };
}

/** version → weight of the weighted route; a sole destination without a weight takes 100. */
function routedWeights(vs: VirtualService): Map<number, number> {
  const route = vs.spec?.http?.find((h) => h.name === WEIGHTED_ROUTE) ?? vs.spec?.http?.find((h) => !h.match?.length);
  const destinations = route?.route ?? [];
  const weights = new Map<number, number>();
  for (const d of destinations) {
    const version = Number(/^v(\d+)$/.exec(d.destination.subset ?? '')?.[1]);
    if (Number.isInteger(version)) weights.set(version, d.weight ?? (destinations.length === 1 ? 100 : 0));
  }
  return weights;
}
