/** Rows of the embedded registry's tables, and how they map to the port's types. */
import type { AuditChange, AuditEvent } from './audit-event.js';
import type { ModelVersion, VersionStatus } from './model-registry.js';

export interface VersionRow {
  name: string;
  model_id: number;
  version: number;
  status: VersionStatus;
  idempotency_key: string;
  artifact_sha256: string;
  artifact_size: number;
  artifact_name: string;
  metrics: string;
  gates: string;
  lineage: string;
  rejection_reasons: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface EventRow {
  name: string;
  version: number;
  at: string;
  actor: string;
  reason: string | null;
  kind: AuditChange['kind'];
  from_status: VersionStatus | null;
  to_status: VersionStatus | null;
  alias: string | null;
  previous_version: number | null;
}

export function toModelVersion(row: VersionRow, aliases: string[], attachments: ModelVersion['attachments'] = {}): ModelVersion {
  return {
    model: row.name,
    version: row.version,
    status: row.status,
    artifactSha256: row.artifact_sha256,
    artifactSize: row.artifact_size,
    metrics: JSON.parse(row.metrics) as ModelVersion['metrics'],
    gates: JSON.parse(row.gates) as ModelVersion['gates'],
    lineage: JSON.parse(row.lineage) as ModelVersion['lineage'],
    rejectionReasons: JSON.parse(row.rejection_reasons) as string[],
    aliases,
    idempotencyKey: row.idempotency_key,
    attachments,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.description === null ? {} : { description: row.description }),
  };
}

export function toAuditEvent(row: EventRow): AuditEvent {
  const change: AuditChange =
    row.kind === 'registered' ? { kind: 'registered', status: row.to_status! }
    : row.kind === 'status' ? { kind: 'status', from: row.from_status!, to: row.to_status! }
    : row.kind === 'alias-set' ? { kind: 'alias-set', alias: row.alias!, ...(row.previous_version === null ? {} : { previousVersion: row.previous_version }) }
    : { kind: 'alias-removed', alias: row.alias! };
  return {
    model: row.name,
    version: row.version,
    at: row.at,
    actor: row.actor,
    ...(row.reason === null ? {} : { reason: row.reason }),
    change,
  };
}
