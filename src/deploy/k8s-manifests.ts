/**
 * The Kubernetes objects the deploy targets write, filled from the templates under deploy/k8s/,
 * and the names and labels that tie a model's objects together.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { KubernetesObject } from './k8s-client.js';

const TEMPLATE_DIR = new URL('../../deploy/k8s/', import.meta.url);
const templates = new Map<string, unknown>();

export type TemplateName = 'version-deployment' | 'service' | 'destinationrule' | 'virtualservice' | 'inferenceservice';

/**
 * Fills a template: a string that is exactly `{{key}}` becomes the key's value (any JSON; the field
 * is dropped when the value is undefined), `{{key}}` inside a longer string is replaced by text.
 */
export function renderManifest<T extends KubernetesObject>(name: TemplateName, values: Record<string, unknown>): T {
  if (!templates.has(name)) templates.set(name, parse(readFileSync(new URL(`${name}.yaml`, TEMPLATE_DIR), 'utf8')));
  return fill(templates.get(name), values, name) as T;
}

function fill(node: unknown, values: Record<string, unknown>, template: string): unknown {
  if (typeof node === 'string') {
    const whole = /^\{\{(\w+)\}\}$/.exec(node);
    if (whole) return valueOf(whole[1]!, values, template);
    return node.replace(/\{\{(\w+)\}\}/g, (_, key: string) => String(valueOf(key, values, template)));
  }
  if (Array.isArray(node)) return node.map((item) => fill(item, values, template)).filter((item) => item !== undefined);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const filled = fill(value, values, template);
      if (filled !== undefined) out[key] = filled;
    }
    return out;
  }
  return node;
}

function valueOf(key: string, values: Record<string, unknown>, template: string): unknown {
  if (!(key in values)) throw new Error(`template deploy/k8s/${template}.yaml uses {{${key}}}, which was not given`);
  return values[key];
}

export const MANAGED_BY = 'mlops-control-plane';
export const VERSION_LABEL = 'serving.mlops.dev/version';
const NAME_LABEL = 'app.kubernetes.io/name';

/** The names and labels of one model's objects in one namespace. */
export class ModelObjects {
  readonly base: string;

  constructor(readonly model: string, readonly namespace: string, name?: string) {
    this.base = name ?? kubernetesName(model);
  }

  versionName(version: number): string {
    return `${this.base}-v${version}`;
  }

  subset(version: number): string {
    return `v${version}`;
  }

  /** The cluster-local DNS name of the model's stable Service. */
  get host(): string {
    return `${this.base}.${this.namespace}.svc.cluster.local`;
  }

  get labels(): Record<string, string> {
    return { [NAME_LABEL]: this.base, 'app.kubernetes.io/managed-by': MANAGED_BY };
  }

  /** Selects every object and pod of the model that we manage. */
  get selector(): string {
    return `${NAME_LABEL}=${this.base},app.kubernetes.io/managed-by=${MANAGED_BY}`;
  }

  /** `version: v3` is what Istio subsets conventionally select on. */
  versionLabels(version: number): Record<string, string> {
    return { ...this.labels, [VERSION_LABEL]: String(version), version: this.subset(version) };
  }

  versionSelector(version: number): Record<string, string> {
    return { [NAME_LABEL]: this.base, [VERSION_LABEL]: String(version) };
  }
}

/** A DNS-1035 label from a model name (which may hold '_' and '.', or start with a digit). */
export function kubernetesName(model: string): string {
  let name = model.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-');
  if (!/^[a-z]/.test(name)) name = `m-${name}`;
  return name.slice(0, 50).replace(/-+$/, '');
}

/** `{model}` and `{version}` in an image or storage URI. */
export function fillVersionTemplate(template: string, model: string, version: number): string {
  return template.replaceAll('{model}', model).replaceAll('{version}', String(version));
}
