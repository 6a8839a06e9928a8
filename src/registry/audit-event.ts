/**
 * One entry of a version's audit trail: who changed what about it, when and why. The registry
 * appends one for each registration, status change and alias move, in the same transaction.
 */
import type { VersionStatus } from './model-registry.js';

export type AuditChange =
  | { kind: 'registered'; status: VersionStatus }
  | { kind: 'status'; from: VersionStatus; to: VersionStatus }
  /** `previousVersion` is the version the alias pointed at before, if any. */
  | { kind: 'alias-set'; alias: string; previousVersion?: number }
  | { kind: 'alias-removed'; alias: string };

export interface AuditEvent {
  model: string;
  version: number;
  /** ISO timestamp. */
  at: string;
  /** Who made the change, e.g. `worker@host` or a user name. */
  actor: string;
  reason?: string;
  change: AuditChange;
}

/** One line for a terminal, e.g. `status candidate → champion`. */
export function describeAuditChange(change: AuditChange): string {
  switch (change.kind) {
    case 'registered':
      return `registered as ${change.status}`;
    case 'status':
      return `status ${change.from} → ${change.to}`;
    case 'alias-set':
      return `alias ${change.alias} set${change.previousVersion === undefined ? '' : ` (was version ${change.previousVersion})`}`;
    case 'alias-removed':
      return `alias ${change.alias} removed`;
  }
}
