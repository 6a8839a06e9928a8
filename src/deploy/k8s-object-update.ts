/**
 * Optimistic concurrency for the deploy targets: read, compute the change from what is stored,
 * write it conditioned on the resourceVersion that was read, and on 409 Conflict start over from
 * a fresh read. Creating an object that appeared meanwhile (409 AlreadyExists) also starts over.
 */
import { KubernetesApiError, describe, type KubernetesObject, type KubernetesObjects, type ResourceKind } from './k8s-client.js';
import { KubernetesConflictError } from './k8s-errors.js';

export interface ObjectChange<T extends KubernetesObject> {
  kind: ResourceKind;
  namespace: string;
  name: string;
  /** The whole object to create when it does not exist; omit to require that it exists. */
  create?: () => T;
  /** The merge patch that brings `current` to what is wanted, or undefined when it already is. */
  change: (current: T) => Record<string, unknown> | undefined;
  /** 409 answers retried with a fresh read before giving up. */
  conflictRetries: number;
}

/** Returns the object as the server stored it after the change (or as read, when nothing changed). */
export async function changeObject<T extends KubernetesObject>(objects: KubernetesObjects, spec: ObjectChange<T>): Promise<T | undefined> {
  const { kind, namespace, name } = spec;
  for (let attempt = 0; attempt <= spec.conflictRetries; attempt++) {
    const current = await objects.read<T>(kind, namespace, name);
    try {
      if (!current) {
        if (!spec.create) return undefined;
        return await objects.create<T>(kind, namespace, spec.create());
      }
      const patch = spec.change(current);
      if (!patch) return current;
      const metadata = { ...((patch.metadata as Record<string, unknown> | undefined) ?? {}), resourceVersion: current.metadata.resourceVersion };
      return await objects.patch<T>(kind, namespace, name, { ...patch, metadata });
    } catch (err) {
      if (err instanceof KubernetesApiError && err.code === 409) continue;
      throw err;
    }
  }
  throw new KubernetesConflictError(`${describe(kind, namespace, name)} kept changing under us: ${spec.conflictRetries + 1} writes in a row met 409 Conflict`);
}

/** Deep equality of JSON values (key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}
