/**
 * Wraps the adapters' Kubernetes client to stage what happens in a busy cluster: a concurrent
 * writer that changes the object between the adapter's read and its write, or a body the server
 * must refuse. Every call still goes to the real API server.
 */
import { KubernetesApiError, type KubernetesObject, type KubernetesObjects, type ResourceKind } from '../../src/deploy/k8s-client.js';

export interface RecordedWrite {
  verb: 'create' | 'patch' | 'delete';
  kind: string;
  name: string;
  body?: unknown;
  at: number;
}

type Rival = (namespace: string, name: string) => Promise<void>;

export class InterceptedObjects implements KubernetesObjects {
  readonly writes: RecordedWrite[] = [];
  conflicts = 0;
  private rival?: { kind: ResourceKind; write: Rival; times: number };
  private edit?: (body: any) => void;

  constructor(private readonly inner: KubernetesObjects) {}

  /** The next `times` patches of `kind` are each preceded by `write` (after the adapter read the object). */
  interleaveBeforePatch(kind: ResourceKind, write: Rival, times = 1): void {
    this.rival = { kind, write, times };
  }

  /** The next create or patch body passes through `edit` first. */
  editNextWrite(edit: (body: any) => void): void {
    this.edit = edit;
  }

  read<T extends KubernetesObject>(kind: ResourceKind, namespace: string, name: string): Promise<T | undefined> {
    return this.inner.read<T>(kind, namespace, name);
  }

  list<T extends KubernetesObject>(kind: ResourceKind, namespace: string, labelSelector: string): Promise<T[]> {
    return this.inner.list<T>(kind, namespace, labelSelector);
  }

  async create<T extends KubernetesObject>(kind: ResourceKind, namespace: string, body: T): Promise<T> {
    this.applyEdit(body);
    this.writes.push({ verb: 'create', kind: kind.kind, name: body.metadata.name, body: structuredClone(body), at: Date.now() });
    return this.inner.create(kind, namespace, body);
  }

  async patch<T extends KubernetesObject>(kind: ResourceKind, namespace: string, name: string, patch: Record<string, unknown>): Promise<T> {
    if (this.rival && this.rival.kind === kind && this.rival.times > 0) {
      this.rival.times--;
      await this.rival.write(namespace, name);
    }
    this.applyEdit(patch);
    this.writes.push({ verb: 'patch', kind: kind.kind, name, body: structuredClone(patch), at: Date.now() });
    try {
      return await this.inner.patch<T>(kind, namespace, name, patch);
    } catch (err) {
      if (err instanceof KubernetesApiError && err.code === 409) this.conflicts++;
      throw err;
    }
  }

  async delete(kind: ResourceKind, namespace: string, name: string): Promise<boolean> {
    this.writes.push({ verb: 'delete', kind: kind.kind, name, at: Date.now() });
    return this.inner.delete(kind, namespace, name);
  }

  private applyEdit(body: unknown): void {
    const edit = this.edit;
    this.edit = undefined;
    edit?.(body);
  }
}
