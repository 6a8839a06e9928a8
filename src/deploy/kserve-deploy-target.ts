/**
 * KServe: one InferenceService per model. KServe keeps two revisions: the latest predictor spec
 * (the canary) takes `spec.predictor.canaryTrafficPercent`, the previously rolled-out revision the
 * rest. Promotion removes the field (the latest takes 100%), rollback sets it to 0 (everything on
 * the previous revision). Annotations record which model versions the two revisions are, so the
 * split reads back as version → weight. KServe itself never decides; the workflow does.
 */
import type { DeployedVersion, DeployOptions, DeployTarget, TrafficSplit } from './deploy-target.js';
import { INFERENCE_SERVICES, describe, type KubernetesObject, type KubernetesObjects } from './k8s-client.js';
import { InvalidWeightsError, VersionNotDeployedError } from './k8s-errors.js';
import { ModelObjects, fillVersionTemplate, renderManifest } from './k8s-manifests.js';
import { changeObject } from './k8s-object-update.js';
import { checkWeights, expectStoredWeights } from './k8s-traffic.js';

export const LATEST_VERSION_ANNOTATION = 'serving.mlops.dev/version';
export const PREVIOUS_VERSION_ANNOTATION = 'serving.mlops.dev/previous-version';

interface Predictor {
  canaryTrafficPercent?: number;
  model?: Record<string, unknown>;
  containers?: Record<string, unknown>[];
}
type InferenceService = KubernetesObject<{ predictor: Predictor }, { url?: string }>;

export interface KserveDeployTargetOptions {
  objects: KubernetesObjects;
  namespace: string;
  name?: string;
  /** `{model}`/`{version}` template of where KServe loads a version's model; else `image` runs our model server. */
  storageUri?: string;
  modelFormat: string;
  runtime?: string;
  image?: string;
  port: number;
  conflictRetries: number;
}

export class KserveDeployTarget implements DeployTarget {
  constructor(private readonly options: KserveDeployTargetOptions) {}

  async deployVersion(model: string, version: number, _options: DeployOptions = {}): Promise<DeployedVersion> {
    const names = this.names(model);
    const stored = await this.change(names, {
      create: () => renderManifest<InferenceService>('inferenceservice', {
        name: names.base, namespace: names.namespace, labels: names.labels,
        annotations: { [LATEST_VERSION_ANNOTATION]: String(version) }, canaryTrafficPercent: undefined, model: undefined, containers: undefined, ...this.predictor(model, version),
      }),
      change: (current) => {
        const { latest, previous, weights } = revisions(current);
        if (latest === version || previous === version) return undefined;
        // The new spec becomes the latest revision at 0%; the rolled-out one (KServe's previousRolledoutRevision) keeps the traffic.
        const rolledOut = weights.get(latest!) === 100 ? latest : previous;
        return {
          metadata: { annotations: { [LATEST_VERSION_ANNOTATION]: String(version), [PREVIOUS_VERSION_ANNOTATION]: rolledOut === undefined ? null : String(rolledOut) } },
          spec: { predictor: { canaryTrafficPercent: 0, model: null, containers: null, ...this.predictor(model, version) } },
        };
      },
    });
    return {
      model,
      version,
      url: stored?.status?.url ?? `http://${names.base}.${names.namespace}.svc.cluster.local`,
      ref: describe(INFERENCE_SERVICES, names.namespace, names.base),
    };
  }

  async setTrafficWeights(model: string, weights: Record<number, number>): Promise<TrafficSplit> {
    const asked = checkWeights(weights);
    const names = this.names(model);
    const stored = await this.change(names, {
      change: (current) => {
        const { latest, previous } = revisions(current);
        const missing = [...asked].filter(([v, w]) => w > 0 && v !== latest && v !== previous).map(([v]) => `v${v}`);
        if (missing.length) {
          throw new VersionNotDeployedError(`${model}: ${missing.join(', ')} is neither the latest (v${latest}) nor the previously rolled-out revision${previous ? ` (v${previous})` : ''} of ${describe(INFERENCE_SERVICES, names.namespace, names.base)}`);
        }
        const percent = asked.get(latest!) ?? 0;
        // 100% = promoted: the field goes away, as KServe documents it.
        const wanted = percent === 100 ? undefined : percent;
        if (current.spec?.predictor.canaryTrafficPercent === wanted) return undefined;
        return { spec: { predictor: { canaryTrafficPercent: wanted ?? null } } };
      },
    });
    if (!stored) throw new VersionNotDeployedError(`${model}: no ${describe(INFERENCE_SERVICES, names.namespace, names.base)}; deploy a version first`);
    return expectStoredWeights(asked, await this.getTrafficSplit(model), describe(INFERENCE_SERVICES, names.namespace, names.base));
  }

  async getTrafficSplit(model: string): Promise<TrafficSplit | undefined> {
    const names = this.names(model);
    const isvc = await this.options.objects.read<InferenceService>(INFERENCE_SERVICES, names.namespace, names.base);
    if (!isvc) return undefined;
    const { latest, previous, weights } = revisions(isvc);
    return {
      model,
      weights: Object.fromEntries(weights),
      revision: isvc.metadata.generation ?? 0,
      live: [{
        object: describe(INFERENCE_SERVICES, names.namespace, names.base),
        resourceVersion: isvc.metadata.resourceVersion ?? '',
        values: { canaryTrafficPercent: isvc.spec?.predictor.canaryTrafficPercent ?? null, latestVersion: latest ?? null, previousVersion: previous ?? null },
      }],
    };
  }

  async retireVersion(model: string, version: number): Promise<void> {
    const names = this.names(model);
    let deleteWhole = false;
    await this.change(names, {
      change: (current) => {
        const { latest, previous, weights } = revisions(current);
        if (version !== latest && version !== previous) return undefined;
        if ((weights.get(version) ?? 0) > 0 && weights.size > 1) {
          throw new InvalidWeightsError(`v${version} still takes ${weights.get(version)}% of ${model}'s traffic; move it before retiring it`);
        }
        if (version === previous) return { metadata: { annotations: { [PREVIOUS_VERSION_ANNOTATION]: null } } };
        if (previous === undefined) {
          deleteWhole = true;
          return undefined;
        }
        // Retiring the rolled-back canary: the spec returns to the previous version, which becomes the only revision.
        return {
          metadata: { annotations: { [LATEST_VERSION_ANNOTATION]: String(previous), [PREVIOUS_VERSION_ANNOTATION]: null } },
          spec: { predictor: { canaryTrafficPercent: null, model: null, containers: null, ...this.predictor(model, previous) } },
        };
      },
    });
    if (deleteWhole) await this.options.objects.delete(INFERENCE_SERVICES, names.namespace, names.base);
  }

  private predictor(model: string, version: number): Pick<Predictor, 'model' | 'containers'> {
    if (this.options.storageUri) {
      return {
        model: {
          modelFormat: { name: this.options.modelFormat },
          protocolVersion: 'v2',
          storageUri: fillVersionTemplate(this.options.storageUri, model, version),
          ...(this.options.runtime ? { runtime: this.options.runtime } : {}),
        },
      };
    }
    return {
      containers: [{
        name: 'kserve-container',
        image: fillVersionTemplate(this.options.image!, model, version),
        command: ['bin/mlops'],
        args: ['serve', '--model', model, '--version', String(version), '--port', String(this.options.port), '--host', '0.0.0.0'],
        ports: [{ containerPort: this.options.port, protocol: 'TCP' }],
      }],
    };
  }

  private change(names: ModelObjects, spec: { create?: () => InferenceService; change: (current: InferenceService) => Record<string, unknown> | undefined }) {
    return changeObject<InferenceService>(this.options.objects, { kind: INFERENCE_SERVICES, namespace: names.namespace, name: names.base, conflictRetries: this.options.conflictRetries, ...spec });
  }

  private names(model: string): ModelObjects {
    return new ModelObjects(model, this.options.namespace, this.options.name);
  }
}

/** The model versions of the two revisions and their weights, from the stored object. */
function revisions(isvc: InferenceService): { latest?: number; previous?: number; weights: Map<number, number> } {
  const read = (key: string) => {
    const value = Number(isvc.metadata.annotations?.[key]);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  const latest = read(LATEST_VERSION_ANNOTATION);
  const previous = read(PREVIOUS_VERSION_ANNOTATION);
  const weights = new Map<number, number>();
  if (latest === undefined) return { weights };
  if (previous === undefined) {
    weights.set(latest, 100);
  } else {
    const percent = isvc.spec?.predictor.canaryTrafficPercent ?? 100;
    weights.set(latest, percent);
    weights.set(previous, 100 - percent);
  }
  return { latest, previous, weights };
}
