/**
 * How a ModelVersion lives in MLflow: which tags, params and metrics we write, and how MLflow's
 * answers map back. Pure functions; the adapter (mlflow-registry.ts) does the calls.
 *
 * The MLflow model version carries the registry's state as `mlops.*` tags (status, rejection
 * reasons, gates, artifact sha256, lineage); its run carries what MLflow users look at: params
 * (trainer, data version, definition hash ...), metrics (hold-out, fairness) and one tag per gate.
 * Metrics are read back from the run, so the run is where they live.
 */
import type { GateResult } from '../evaluate/gate-result.js';
import type { Lineage, ModelVersion, NewModelVersion, VersionStatus } from './model-registry.js';
import { VERSION_STATUSES } from './registry-input.js';
import { tagValue, type MlflowMetric, type MlflowModelVersion, type MlflowRun, type MlflowTag } from './mlflow-client.js';

export const TAG = {
  idempotencyKey: 'mlops.idempotency_key',
  status: 'mlops.status',
  statusReason: 'mlops.status_reason',
  updatedAt: 'mlops.updated_at',
  rejectionReasons: 'mlops.rejection_reasons',
  gates: 'mlops.gates',
  artifactSha256: 'mlops.artifact_sha256',
  artifactSize: 'mlops.artifact_size',
  /** The artifact's path inside the run's artifacts, e.g. `model/model.json`. */
  artifactPath: 'mlops.artifact_path',
  /** Set last: the registration finished (aliases set, run ended). */
  registration: 'mlops.registration',
  /** On runs: params, metrics and tags were logged in one batch. */
  logged: 'mlops.logged',
  lineagePrefix: 'mlops.lineage.',
  attachmentPrefix: 'mlops.attachment.',
  gatePrefix: 'mlops.gate.',
} as const;

/** Where a version's files go inside its run's artifacts; the model version's source is `runs:/<run>/model`. */
export const MODEL_DIRECTORY = 'model';
export const ATTACHMENT_DIRECTORY = 'attachments';

/** The tags a new MLflow model version is created with: everything the port reads back except metrics. */
export function newVersionTags(request: NewModelVersion, artifact: { sha256: string; size: number; path: string }, now: string): MlflowTag[] {
  return [
    { key: TAG.idempotencyKey, value: request.idempotencyKey },
    { key: TAG.status, value: request.status },
    { key: TAG.updatedAt, value: now },
    { key: TAG.rejectionReasons, value: JSON.stringify(request.rejectionReasons ?? []) },
    { key: TAG.gates, value: JSON.stringify(request.gates) },
    { key: TAG.artifactSha256, value: artifact.sha256 },
    { key: TAG.artifactSize, value: String(artifact.size) },
    { key: TAG.artifactPath, value: artifact.path },
    ...lineageTags(request.lineage),
  ];
}

/** One tag per lineage field (`mlops.lineage.data_version` ...), so fields added later (image digest) need no code here. */
export function lineageTags(lineage: Lineage): MlflowTag[] {
  return Object.entries(lineage)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => ({ key: `${TAG.lineagePrefix}${snakeCase(key)}`, value: String(value) }));
}

/** The run's record for the tracking UI: params, metrics and tags, logged in one batch. */
export function runRecord(request: NewModelVersion, now: number): { params: MlflowTag[]; metrics: MlflowMetric[]; tags: MlflowTag[] } {
  const { lineage } = request;
  const params = [
    ['trainer', lineage.trainer], ['data_version', lineage.dataVersion], ['definition_hash', lineage.definitionHash],
    ['code_version', lineage.codeVersion], ['workflow_id', lineage.workflowId], ['temporal_run_id', lineage.runId],
    ['trigger', lineage.trigger], ['parent_version', lineage.parentVersion],
  ]
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => ({ key: String(key), value: String(value) }));
  const metrics = Object.entries(request.metrics).map(([key, value]) => ({ key: metricKey(key), value, timestamp: now, step: 0 }));
  const tags = [
    { key: TAG.status, value: request.status },
    ...request.gates.map((gate) => ({ key: `${TAG.gatePrefix}${metricKey(gate.gate)}`, value: describeGate(gate) })),
    ...(request.rejectionReasons?.length ? [{ key: TAG.rejectionReasons, value: JSON.stringify(request.rejectionReasons) }] : []),
    ...lineageTags(lineage),
    { key: TAG.logged, value: 'true' },
  ];
  return { params, metrics, tags };
}

/** The port's view of an MLflow model version; metrics come from its run (absent run: none). */
export function toModelVersion(version: MlflowModelVersion, run: MlflowRun | undefined, aliases: readonly string[] = version.aliases ?? []): ModelVersion {
  const tags = version.tags;
  const created = new Date(version.creation_timestamp ?? 0).toISOString();
  const description = version.description?.trim();
  return {
    model: version.name,
    version: Number(version.version),
    status: statusOf(version),
    artifactSha256: tagValue(tags, TAG.artifactSha256) ?? '',
    artifactSize: Number(tagValue(tags, TAG.artifactSize) ?? 0),
    metrics: Object.fromEntries((run?.data.metrics ?? []).map((metric) => [metric.key, metric.value])),
    gates: parseJson<GateResult[]>(tagValue(tags, TAG.gates), []),
    lineage: lineageOf(tags),
    rejectionReasons: parseJson<string[]>(tagValue(tags, TAG.rejectionReasons), []),
    aliases: [...aliases].sort(),
    idempotencyKey: tagValue(tags, TAG.idempotencyKey) ?? '',
    attachments: attachmentsOf(tags),
    createdAt: created,
    updatedAt: tagValue(tags, TAG.updatedAt) ?? new Date(version.last_updated_timestamp ?? version.creation_timestamp ?? 0).toISOString(),
    ...(description ? { description } : {}),
  };
}

/** `mlops.status`; a version registered by someone else (no tag) counts as a candidate. */
export function statusOf(version: MlflowModelVersion): VersionStatus {
  const status = tagValue(version.tags, TAG.status);
  return (VERSION_STATUSES as readonly string[]).includes(status ?? '') ? (status as VersionStatus) : 'candidate';
}

export function attachmentsOf(tags: readonly MlflowTag[] | undefined): ModelVersion['attachments'] {
  const entries = (tags ?? [])
    .filter((tag) => tag.key.startsWith(TAG.attachmentPrefix))
    .map((tag) => [tag.key.slice(TAG.attachmentPrefix.length), parseJson<{ sha256: string; size: number } | undefined>(tag.value, undefined)] as const)
    .filter((entry): entry is readonly [string, { sha256: string; size: number }] => entry[1] !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  return Object.fromEntries(entries);
}

function lineageOf(tags: readonly MlflowTag[] | undefined): Lineage {
  const fields: Record<string, string | number> = {};
  for (const tag of tags ?? []) {
    if (!tag.key.startsWith(TAG.lineagePrefix)) continue;
    const key = camelCase(tag.key.slice(TAG.lineagePrefix.length));
    fields[key] = key === 'parentVersion' ? Number(tag.value) : tag.value;
  }
  return { dataVersion: '', definitionHash: '', trainer: '', codeVersion: '', workflowId: '', runId: '', ...fields } as Lineage;
}

/** MLflow metric, param and tag keys allow letters, digits, `_ - . / : space`; anything else becomes `_`. */
export function metricKey(name: string): string {
  return name.replace(/[^\w.\-/ :]/g, '_');
}

function describeGate(gate: GateResult): string {
  const bounds = [gate.min === undefined ? '' : `min ${gate.min}`, gate.max === undefined ? '' : `max ${gate.max}`].filter(Boolean).join(', ');
  return `${gate.passed ? 'pass' : 'fail'} ${gate.value ?? 'n/a'}${bounds ? ` (${bounds})` : ''}${gate.detail ? `: ${gate.detail}` : ''}`;
}

function parseJson<T>(text: string | undefined, fallback: T): T {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}
