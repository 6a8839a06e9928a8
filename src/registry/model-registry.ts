/**
 * The registry port: every registry adapter (embedded SQLite, MLflow) implements this.
 * Versions are numbered 1, 2, 3 … per model; aliases (`champion`, `challenger`) point at one
 * version each and move atomically; artifacts are stored by content hash and verified on read.
 */
import type { GateResult } from '../evaluate/gate-result.js';

export type VersionStatus = 'candidate' | 'rejected' | 'champion' | 'archived';
export const ALIASES = ['champion', 'challenger'] as const;
export type Alias = (typeof ALIASES)[number] | (string & {});

export interface Lineage {
  dataVersion: string;
  definitionHash: string;
  /** e.g. `builtin:logistic_regression` or `command:python train.py`. */
  trainer: string;
  /** The project's code version (git commit or package version) that trained it. */
  codeVersion: string;
  workflowId: string;
  runId: string;
  /** The champion this version was compared against, if any. */
  parentVersion?: number;
  trigger?: string;
  /** The serving image built from this version's artifact (set after registration). */
  servingImage?: ServingImageRecord;
}

/** Where a version's serving image is: pull `<reference without tag>@<digest>` for exactly the pushed bytes. */
export interface ServingImageRecord {
  /** `127.0.0.1:5001/mlops/fraud-detector:v3-0123456789abcdef` */
  reference: string;
  /** The manifest digest the image registry serves for it (`sha256:…`). */
  digest: string;
  builtAt: string;
}

export interface NewModelVersion {
  model: string;
  /** Registering again with the same key returns the existing version (safe activity retries). */
  idempotencyKey: string;
  status: 'candidate' | 'rejected';
  /** Path of the artifact to store: one file (pack a directory into one file, e.g. a tar, first). */
  artifactPath: string;
  metrics: Record<string, number>;
  gates: GateResult[];
  lineage: Lineage;
  rejectionReasons?: string[];
  /** Files kept with the version (name → path), e.g. `reference-profile.json`; content-addressed like the artifact. */
  attachments?: Record<string, string>;
  /** Aliases to point at the new version in the same transaction (e.g. `challenger`). */
  aliases?: Alias[];
  description?: string;
}

export interface ModelVersion {
  model: string;
  version: number;
  status: VersionStatus;
  artifactSha256: string;
  artifactSize: number;
  metrics: Record<string, number>;
  gates: GateResult[];
  lineage: Lineage;
  rejectionReasons: string[];
  aliases: string[];
  idempotencyKey: string;
  /** Attached files by name. */
  attachments: Record<string, { sha256: string; size: number }>;
  createdAt: string;
  updatedAt: string;
  description?: string;
}

export interface RegisteredModel {
  name: string;
  createdAt: string;
  latestVersion: number;
  aliases: Record<string, number>;
}

export interface ModelRegistry {
  /** Creates the version (or returns the one registered with the same idempotency key). */
  registerVersion(input: NewModelVersion): Promise<ModelVersion>;
  getVersion(model: string, version: number): Promise<ModelVersion | undefined>;
  getVersionByAlias(model: string, alias: Alias): Promise<ModelVersion | undefined>;
  findVersionByIdempotencyKey(model: string, key: string): Promise<ModelVersion | undefined>;
  listModels(): Promise<RegisteredModel[]>;
  listVersions(model: string): Promise<ModelVersion[]>;
  /** Points the alias at the version (removing it from any other version) atomically. */
  setAlias(model: string, alias: Alias, version: number, reason?: string): Promise<void>;
  removeAlias(model: string, alias: Alias, reason?: string): Promise<void>;
  setStatus(model: string, version: number, status: VersionStatus, reason?: string): Promise<ModelVersion>;
  /** Adds (or replaces) a file kept with the version; the same bytes again change nothing. */
  attachFile(model: string, version: number, name: string, file: string): Promise<{ sha256: string; size: number }>;
  /** Writes an attached file to `destination` after checking its sha256; undefined when there is none. */
  downloadAttachment(model: string, version: number, name: string, destination: string): Promise<{ path: string; sha256: string } | undefined>;
  /**
   * Records the version's serving image in its lineage (optional: adapters without it keep the
   * record as the attachment `serving-image.json`). Recording the same image again changes nothing.
   */
  recordServingImage?(model: string, version: number, image: ServingImageRecord): Promise<ModelVersion>;
  /** Writes the version's artifact to `destination` after checking its sha256. */
  downloadArtifact(model: string, version: number, destination: string): Promise<{ path: string; sha256: string }>;
  close(): Promise<void>;
}

/** Thrown for a model or version that does not exist. */
export class ModelNotFoundError extends Error {
  override readonly name = 'ModelNotFoundError';
}

/** Thrown when stored artifact bytes no longer match their recorded sha256. */
export class ArtifactIntegrityError extends Error {
  override readonly name = 'ArtifactIntegrityError';
}

/** Thrown for a malformed model name, version number, status, alias or new-version record. */
export class InvalidRegistryInputError extends Error {
  override readonly name = 'InvalidRegistryInputError';
}

/** Thrown when a change would break the status rules, e.g. a rejected version taking `champion`. */
export class StatusTransitionError extends Error {
  override readonly name = 'StatusTransitionError';
}
