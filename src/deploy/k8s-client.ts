/**
 * The few Kubernetes calls the deploy targets make, over @kubernetes/client-node 1.4, as plain
 * JSON objects. Every write sends `fieldValidation=Strict` (unknown fields fail instead of being
 * dropped) and the patch type the resource understands: JSON merge patch for custom resources
 * (they refuse strategic merge with 415), strategic merge patch for built-in kinds.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
} from '@kubernetes/client-node';
import { KubernetesConfigError, KubernetesRejectedError, type KubernetesStatus } from './k8s-errors.js';

export interface ObjectMetadata {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubernetesObject<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMetadata;
  spec?: Spec;
  status?: Status;
}

export interface ResourceKind {
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** Built-in kinds take strategic merge patch; custom resources only JSON merge patch. */
  custom: boolean;
}

export const DEPLOYMENTS: ResourceKind = { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', custom: false };
export const SERVICES: ResourceKind = { group: '', version: 'v1', plural: 'services', kind: 'Service', custom: false };
export const VIRTUAL_SERVICES: ResourceKind = { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices', kind: 'VirtualService', custom: true };
export const DESTINATION_RULES: ResourceKind = { group: 'networking.istio.io', version: 'v1', plural: 'destinationrules', kind: 'DestinationRule', custom: true };
export const INFERENCE_SERVICES: ResourceKind = { group: 'serving.kserve.io', version: 'v1beta1', plural: 'inferenceservices', kind: 'InferenceService', custom: true };

export function apiVersionOf(kind: ResourceKind): string {
  return kind.group ? `${kind.group}/${kind.version}` : kind.version;
}

/** What the adapters need from a cluster; tests wrap it to inject concurrent writers. */
export interface KubernetesObjects {
  read<T extends KubernetesObject>(kind: ResourceKind, namespace: string, name: string): Promise<T | undefined>;
  list<T extends KubernetesObject>(kind: ResourceKind, namespace: string, labelSelector: string): Promise<T[]>;
  create<T extends KubernetesObject>(kind: ResourceKind, namespace: string, body: T): Promise<T>;
  /** A merge patch (strategic for built-ins); put `metadata.resourceVersion` in it to make it conditional. */
  patch<T extends KubernetesObject>(kind: ResourceKind, namespace: string, name: string, patch: Record<string, unknown>): Promise<T>;
  /** Returns false when the object was already gone. */
  delete(kind: ResourceKind, namespace: string, name: string): Promise<boolean>;
}

/** An error answer of the API server that is not a rejected body: 404, 409, 5xx. Retryable. */
export class KubernetesApiError extends Error {
  override readonly name = 'KubernetesApiError';
  constructor(readonly code: number, readonly reason: string, message: string) {
    super(message);
  }
}

export const FIELD_MANAGER = 'mlops-control-plane';

/** Loads the kubeconfig from `file`, else KUBECONFIG, ~/.kube/config or the pod's service account. */
export function loadKubeConfig(options: { kubeconfig?: string; context?: string } = {}): KubeConfig {
  const config = new KubeConfig();
  try {
    if (options.kubeconfig) {
      if (!existsSync(options.kubeconfig)) throw new Error(`no such file: ${options.kubeconfig}`);
      config.loadFromFile(options.kubeconfig);
    } else if (process.env.KUBECONFIG || existsSync(path.join(os.homedir(), '.kube', 'config')) || process.env.KUBERNETES_SERVICE_HOST) {
      config.loadFromDefault();
    } else {
      throw new Error('KUBECONFIG is not set, ~/.kube/config does not exist and this is not a pod (KUBERNETES_SERVICE_HOST is unset)');
    }
  } catch (err) {
    throw new KubernetesConfigError(`cannot load a kubeconfig (deploy.kubernetes.kubeconfig): ${(err as Error).message}`);
  }
  if (options.context) {
    if (!config.getContextObject(options.context)) throw new KubernetesConfigError(`the kubeconfig has no context "${options.context}" (deploy.kubernetes.context)`);
    config.setCurrentContext(options.context);
  }
  if (!config.getCurrentCluster()) throw new KubernetesConfigError(`the kubeconfig's current context "${config.getCurrentContext()}" names no cluster`);
  return config;
}

export class KubernetesApiObjects implements KubernetesObjects {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(config: KubeConfig) {
    this.core = config.makeApiClient(CoreV1Api);
    this.custom = config.makeApiClient(CustomObjectsApi);
  }

  async read<T extends KubernetesObject>(kind: ResourceKind, namespace: string, name: string): Promise<T | undefined> {
    try {
      if (isCoreService(kind)) return plain<T>(await this.core.readNamespacedService({ name, namespace }), kind);
      return (await this.custom.getNamespacedCustomObject({ ...this.resource(kind), namespace, name })) as T;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw translate(err, 'read', describe(kind, namespace, name));
    }
  }

  async list<T extends KubernetesObject>(kind: ResourceKind, namespace: string, labelSelector: string): Promise<T[]> {
    try {
      if (isCoreService(kind)) return (await this.core.listNamespacedService({ namespace, labelSelector })).items.map((s) => plain<T>(s, kind));
      const list = (await this.custom.listNamespacedCustomObject({ ...this.resource(kind), namespace, labelSelector })) as { items: T[] };
      return list.items.map((item) => ({ ...item, apiVersion: apiVersionOf(kind), kind: kind.kind }));
    } catch (err) {
      throw translate(err, 'list', `${kind.kind}s in ${namespace} (${labelSelector})`);
    }
  }

  async create<T extends KubernetesObject>(kind: ResourceKind, namespace: string, body: T): Promise<T> {
    const write = { fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' };
    try {
      if (isCoreService(kind)) return plain<T>(await this.core.createNamespacedService({ namespace, body: body as unknown as V1Service, ...write }), kind);
      return (await this.custom.createNamespacedCustomObject({ ...this.resource(kind), namespace, body, ...write })) as T;
    } catch (err) {
      throw translate(err, 'create', describe(kind, namespace, body.metadata.name));
    }
  }

  async patch<T extends KubernetesObject>(kind: ResourceKind, namespace: string, name: string, patch: Record<string, unknown>): Promise<T> {
    const contentType = kind.custom ? PatchStrategy.MergePatch : PatchStrategy.StrategicMergePatch;
    const options = setHeaderOptions('Content-Type', contentType);
    const write = { fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' };
    try {
      if (isCoreService(kind)) return plain<T>(await this.core.patchNamespacedService({ name, namespace, body: patch, ...write }, options), kind);
      return (await this.custom.patchNamespacedCustomObject({ ...this.resource(kind), namespace, name, body: patch, ...write }, options)) as T;
    } catch (err) {
      throw translate(err, 'patch', describe(kind, namespace, name));
    }
  }

  async delete(kind: ResourceKind, namespace: string, name: string): Promise<boolean> {
    try {
      if (isCoreService(kind)) await this.core.deleteNamespacedService({ name, namespace });
      else await this.custom.deleteNamespacedCustomObject({ ...this.resource(kind), namespace, name });
      return true;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return false;
      throw translate(err, 'delete', describe(kind, namespace, name));
    }
  }

  /** Built-in kinds outside the core group share the custom-objects URL shape: /apis/<group>/<version>/namespaces/<ns>/<plural>. */
  private resource(kind: ResourceKind): { group: string; version: string; plural: string } {
    if (!kind.group) throw new Error(`${kind.kind} is in the core group; it needs CoreV1Api`);
    return { group: kind.group, version: kind.version, plural: kind.plural };
  }
}

/** Services live in the core group (/api/v1), which the custom-objects client cannot address. */
function isCoreService(kind: ResourceKind): boolean {
  return kind.group === '' && kind.plural === SERVICES.plural;
}

export function describe(kind: ResourceKind, namespace: string, name: string): string {
  return `${kind.kind} ${namespace}/${name}`;
}

/** Typed client models carry Date objects and class instances; the adapters compare plain JSON. */
function plain<T extends KubernetesObject>(value: unknown, kind: ResourceKind): T {
  const object = JSON.parse(JSON.stringify(value)) as T;
  return { ...object, apiVersion: apiVersionOf(kind), kind: kind.kind };
}

/** Bodies and verbs the server refuses are KubernetesRejectedError (non-retryable); the rest stay retryable. */
function translate(err: unknown, verb: string, object: string): Error {
  if (!(err instanceof ApiException)) return err as Error;
  const status = parseStatus(err.body);
  const reason = status.reason ?? 'Unknown';
  const message = status.message ?? String(err.body ?? err.message);
  if ([400, 403, 405, 415, 422].includes(err.code)) return new KubernetesRejectedError(object, verb, err.code, reason, fieldsOf(status), summarize(status, message));
  return new KubernetesApiError(err.code, reason, `${verb} ${object} failed (${err.code} ${reason}): ${message}`);
}

function parseStatus(body: unknown): KubernetesStatus {
  if (body && typeof body === 'object') return body as KubernetesStatus;
  try {
    return JSON.parse(String(body)) as KubernetesStatus;
  } catch {
    return { message: String(body) };
  }
}

/** Field names from `details.causes` (422) and from strict decoding messages (`unknown field "spec.x"`). */
export function fieldsOf(status: KubernetesStatus): string[] {
  const fields = new Set<string>();
  for (const match of (status.message ?? '').matchAll(/(?:unknown|duplicate) field "([^"]+)"/g)) fields.add(match[1]!);
  for (const cause of status.details?.causes ?? []) if (cause.field && !NOT_A_FIELD.has(cause.field)) fields.add(cause.field);
  return [...fields];
}

/** Causes that name no field to fix: `patch` (the whole patched object) and `<nil>` (the follow-up "rules not checked"). */
const NOT_A_FIELD = new Set(['patch', '<nil>']);

/**
 * The part of the server's message a person acts on. A patch refused under Strict validation
 * quotes the whole patched object before `strict decoding error: unknown field "..."`.
 */
function summarize(status: KubernetesStatus, message: string): string {
  const strict = /strict decoding error: .*$/s.exec(message);
  if (strict) return strict[0];
  const causes = (status.details?.causes ?? []).filter((c) => c.message && !NOT_A_FIELD.has(c.field ?? '<nil>'));
  if (causes.length) return causes.map((c) => (c.field && !c.message!.includes(c.field) ? `${c.field}: ${c.message}` : c.message)).join('; ');
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}
