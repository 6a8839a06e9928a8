/**
 * The embedded registry: SQLite (`<dir>/registry.db`, WAL) plus a content-addressed artifact
 * store (`<dir>/artifacts/`). Needs nothing but Node, and is safe for several processes.
 *
 * Every write is one `BEGIN IMMEDIATE` transaction, so writers queue (busy_timeout) instead of
 * racing: version numbers are 1, 2, 3 … per model without gaps or duplicates, and a failed call
 * leaves no rows behind. Artifact bytes are stored before the transaction; an orphaned blob
 * from a failed call is harmless, as the next registration of the same bytes reuses it.
 *
 * Status and alias rules (each applied inside the transaction that triggers it):
 * - A new version starts `candidate` or `rejected`.
 * - The `champion` alias and the `champion` status go together. Pointing `champion` at a
 *   version (setAlias, setStatus 'champion', or registering with the alias) sets its status to
 *   champion, archives every other champion of the model, and removes the version's own
 *   `challenger` alias (the challenge is over).
 * - A `rejected` version cannot take the champion alias (StatusTransitionError).
 * - The champion cannot be set to another status while it holds the alias; move the alias
 *   first. Removing the `champion` alias archives the version that held it.
 * - Setting the same alias or status again is a no-op (safe activity retries), as is removing
 *   an alias nobody holds. Setting `rejected` with a reason appends it to the rejection reasons.
 * - Every registration, status change and alias move appends an audit event (who, when, why).
 */
import { mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ArtifactStore } from './artifact-store.js';
import type { AuditChange, AuditEvent } from './audit-event.js';
import { toAuditEvent, toModelVersion, type EventRow, type VersionRow } from './embedded-registry-rows.js';
import { migrateRegistrySchema } from './embedded-registry-schema.js';
import {
  ModelNotFoundError,
  StatusTransitionError,
  type Alias,
  type ModelRegistry,
  type ModelVersion,
  InvalidRegistryInputError,
  type NewModelVersion,
  type RegisteredModel,
  type ServingImageRecord,
  type VersionStatus,
} from './model-registry.js';
import { checkAlias, checkModelName, checkStatus, checkVersionNumber, parseNewModelVersion } from './registry-input.js';

export interface EmbeddedRegistryOptions {
  /** Recorded in the audit trail as who made each change; default `<user>@<host>`. */
  actor?: string;
  /** How long a write waits for another process's transaction before failing; default 15 s. */
  busyTimeoutMs?: number;
}

const CHAMPION = 'champion';
const CHALLENGER = 'challenger';
const DEFAULT_BUSY_TIMEOUT_MS = 15_000;

/** A version inside a write transaction: its model's row id, name and number. */
interface VersionRef {
  modelId: number;
  model: string;
  version: number;
}

const SELECT_VERSION = `SELECT m.name, v.* FROM versions v JOIN models m ON m.id = v.model_id`;

export class EmbeddedRegistry implements ModelRegistry {
  private constructor(
    readonly directory: string,
    private readonly db: Database.Database,
    private readonly artifacts: ArtifactStore,
    private readonly actor: string,
  ) {}

  /** Opens (creating or migrating) the registry in `directory`. */
  static async open(directory: string, options: EmbeddedRegistryOptions = {}): Promise<EmbeddedRegistry> {
    mkdirSync(directory, { recursive: true });
    const file = path.join(directory, 'registry.db');
    const db = new Database(file, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL'); // a registered version survives a power cut
      db.pragma('foreign_keys = ON');
      migrateRegistrySchema(db, file);
    } catch (error) {
      db.close();
      throw error;
    }
    const artifacts = new ArtifactStore(path.join(directory, 'artifacts'));
    return new EmbeddedRegistry(directory, db, artifacts, options.actor ?? defaultActor());
  }

  async registerVersion(input: NewModelVersion): Promise<ModelVersion> {
    const request = parseNewModelVersion(input);
    const existing = await this.findVersionByIdempotencyKey(request.model, request.idempotencyKey);
    if (existing !== undefined) return existing;

    const artifact = await this.artifacts.put(request.artifactPath);
    const attachments = await this.storeAttachments(input.attachments ?? {});
    const ref = this.write((now) => {
      this.db.prepare('INSERT OR IGNORE INTO models (name, created_at) VALUES (?, ?)').run(request.model, now);
      const modelId = this.modelId(request.model)!;
      // Another process may have registered the same key since the check above.
      const raced = this.db
        .prepare('SELECT version FROM versions WHERE model_id = ? AND idempotency_key = ?')
        .get(modelId, request.idempotencyKey) as { version: number } | undefined;
      if (raced !== undefined) return { modelId, model: request.model, version: raced.version };

      const { next } = this.db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS next FROM versions WHERE model_id = ?').get(modelId) as { next: number };
      const ref: VersionRef = { modelId, model: request.model, version: next };
      this.db
        .prepare(
          `INSERT INTO versions (model_id, version, status, idempotency_key, artifact_sha256, artifact_size, artifact_name,
             metrics, gates, lineage, rejection_reasons, description, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          modelId, next, request.status, request.idempotencyKey, artifact.sha256, artifact.size, path.basename(request.artifactPath),
          JSON.stringify(request.metrics), JSON.stringify(request.gates), JSON.stringify(request.lineage),
          JSON.stringify(request.rejectionReasons ?? []), request.description ?? null, now, now,
        );
      this.recordEvent(ref, now, undefined, { kind: 'registered', status: request.status });
      for (const [name, stored] of attachments) this.insertAttachment(ref, name, stored, now);
      for (const alias of request.aliases ?? []) this.pointAlias(ref, alias, now, `registered with alias ${alias}`);
      return ref;
    });
    return this.readVersion(ref.model, ref.version)!;
  }

  async getVersion(model: string, version: number): Promise<ModelVersion | undefined> {
    checkModelName(model);
    checkVersionNumber(version);
    return this.readVersion(model, version);
  }

  async getVersionByAlias(model: string, alias: Alias): Promise<ModelVersion | undefined> {
    checkModelName(model);
    checkAlias(alias);
    const row = this.db
      .prepare('SELECT a.version FROM aliases a JOIN models m ON m.id = a.model_id WHERE m.name = ? AND a.alias = ?')
      .get(model, alias) as { version: number } | undefined;
    return row === undefined ? undefined : this.readVersion(model, row.version);
  }

  async findVersionByIdempotencyKey(model: string, key: string): Promise<ModelVersion | undefined> {
    checkModelName(model);
    const row = this.db.prepare(`${SELECT_VERSION} WHERE m.name = ? AND v.idempotency_key = ?`).get(model, key) as VersionRow | undefined;
    return row === undefined ? undefined : toModelVersion(row, this.aliasesOf(row.model_id).get(row.version) ?? [], this.attachmentsOf(row.model_id, row.version));
  }

  async listModels(): Promise<RegisteredModel[]> {
    const models = this.db
      .prepare('SELECT m.id, m.name, m.created_at, MAX(v.version) AS latest FROM models m JOIN versions v ON v.model_id = m.id GROUP BY m.id ORDER BY m.name')
      .all() as { id: number; name: string; created_at: string; latest: number }[];
    return models.map((model) => {
      const aliases = this.db.prepare('SELECT alias, version FROM aliases WHERE model_id = ? ORDER BY alias').all(model.id) as { alias: string; version: number }[];
      return {
        name: model.name,
        createdAt: model.created_at,
        latestVersion: model.latest,
        aliases: Object.fromEntries(aliases.map((row) => [row.alias, row.version])),
      };
    });
  }

  async listVersions(model: string): Promise<ModelVersion[]> {
    checkModelName(model);
    const modelId = this.requireModel(model);
    const aliases = this.aliasesOf(modelId);
    const rows = this.db.prepare(`${SELECT_VERSION} WHERE v.model_id = ? ORDER BY v.version`).all(modelId) as VersionRow[];
    return rows.map((row) => toModelVersion(row, aliases.get(row.version) ?? [], this.attachmentsOf(row.model_id, row.version)));
  }

  async setAlias(model: string, alias: Alias, version: number, reason?: string): Promise<void> {
    checkModelName(model);
    checkAlias(alias);
    checkVersionNumber(version);
    this.write((now) => this.pointAlias(this.requireVersion(model, version), alias, now, reason));
  }

  async removeAlias(model: string, alias: Alias, reason?: string): Promise<void> {
    checkModelName(model);
    checkAlias(alias);
    this.write((now) => {
      const modelId = this.requireModel(model);
      const holder = this.aliasHolder(modelId, alias);
      if (holder === undefined) return;
      const ref = { modelId, model, version: holder };
      this.db.prepare('DELETE FROM aliases WHERE model_id = ? AND alias = ?').run(modelId, alias);
      this.recordEvent(ref, now, reason, { kind: 'alias-removed', alias });
      if (alias === CHAMPION) this.changeStatus(ref, 'archived', now, reason ?? 'champion alias removed');
    });
  }

  async setStatus(model: string, version: number, status: VersionStatus, reason?: string): Promise<ModelVersion> {
    checkModelName(model);
    checkVersionNumber(version);
    checkStatus(status);
    this.write((now) => {
      const ref = this.requireVersion(model, version);
      if (this.statusOf(ref) === status) return;
      if (status === CHAMPION) return this.pointAlias(ref, CHAMPION, now, reason);
      if (this.aliasHolder(ref.modelId, CHAMPION) === version) {
        throw new StatusTransitionError(
          `version ${version} of "${model}" holds the champion alias and cannot become ${status}; point champion at another version (or remove the alias) first`,
        );
      }
      this.changeStatus(ref, status, now, reason);
    });
    return this.readVersion(model, version)!;
  }

  async downloadArtifact(model: string, version: number, destination: string): Promise<{ path: string; sha256: string }> {
    checkModelName(model);
    checkVersionNumber(version);
    const ref = this.requireVersion(model, version);
    const row = this.db.prepare(`${SELECT_VERSION} WHERE v.model_id = ? AND v.version = ?`).get(ref.modelId, version) as VersionRow;
    const isDirectory = statSync(destination, { throwIfNoEntry: false })?.isDirectory() ?? false;
    const target = isDirectory ? path.join(destination, row.artifact_name) : destination;
    return this.artifacts.copyOut({ sha256: row.artifact_sha256, size: row.artifact_size }, target, `"${model}" version ${version}`);
  }

  async attachFile(model: string, version: number, name: string, file: string): Promise<{ sha256: string; size: number }> {
    checkModelName(model);
    checkVersionNumber(version);
    const [[, stored]] = (await this.storeAttachments({ [name]: file })) as [[string, { sha256: string; size: number }]];
    this.write((now) => this.insertAttachment(this.requireVersion(model, version), name, stored, now));
    return stored;
  }

  async recordServingImage(model: string, version: number, image: ServingImageRecord): Promise<ModelVersion> {
    checkModelName(model);
    checkVersionNumber(version);
    if (!/^sha256:[0-9a-f]{64}$/.test(image.digest) || image.reference.trim() === '') {
      throw new InvalidRegistryInputError(`serving image ${JSON.stringify(image)}: expected a reference and a sha256:<64 hex> digest`);
    }
    this.write((now) => {
      const ref = this.requireVersion(model, version);
      const row = this.db.prepare('SELECT lineage FROM versions WHERE model_id = ? AND version = ?').get(ref.modelId, version) as { lineage: string };
      const current = (JSON.parse(row.lineage) as { servingImage?: ServingImageRecord }).servingImage;
      if (current?.reference === image.reference && current.digest === image.digest) return;
      this.db
        .prepare("UPDATE versions SET lineage = json_set(lineage, '$.servingImage', json(?)), updated_at = ? WHERE model_id = ? AND version = ?")
        .run(JSON.stringify({ reference: image.reference, digest: image.digest, builtAt: image.builtAt }), now, ref.modelId, version);
    });
    return this.readVersion(model, version)!;
  }

  async downloadAttachment(model: string, version: number, name: string, destination: string): Promise<{ path: string; sha256: string } | undefined> {
    checkModelName(model);
    checkVersionNumber(version);
    const ref = this.requireVersion(model, version);
    const row = this.db
      .prepare('SELECT sha256, size FROM version_attachments WHERE model_id = ? AND version = ? AND name = ?')
      .get(ref.modelId, version, name) as { sha256: string; size: number } | undefined;
    if (!row) return undefined;
    return this.artifacts.copyOut(row, destination, `"${model}" version ${version} attachment ${name}`);
  }

  private async storeAttachments(files: Record<string, string>): Promise<[string, { sha256: string; size: number }][]> {
    const stored: [string, { sha256: string; size: number }][] = [];
    for (const [name, file] of Object.entries(files)) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) throw new InvalidRegistryInputError(`attachment name ${JSON.stringify(name)}: expected letters, digits, '.', '_' or '-'`);
      stored.push([name, await this.artifacts.put(file)]);
    }
    return stored;
  }

  private insertAttachment(ref: VersionRef, name: string, stored: { sha256: string; size: number }, now: string): void {
    this.db
      .prepare('INSERT OR REPLACE INTO version_attachments (model_id, version, name, sha256, size, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(ref.modelId, ref.version, name, stored.sha256, stored.size, now);
  }

  private attachmentsOf(modelId: number, version: number): Record<string, { sha256: string; size: number }> {
    const rows = this.db
      .prepare('SELECT name, sha256, size FROM version_attachments WHERE model_id = ? AND version = ? ORDER BY name')
      .all(modelId, version) as { name: string; sha256: string; size: number }[];
    return Object.fromEntries(rows.map((r) => [r.name, { sha256: r.sha256, size: r.size }]));
  }

  /** The audit trail of a model, or of one of its versions, oldest first. */
  async listEvents(model: string, version?: number): Promise<AuditEvent[]> {
    checkModelName(model);
    const modelId = this.requireModel(model);
    if (version !== undefined) checkVersionNumber(version);
    const rows = this.db
      .prepare(
        `SELECT m.name, e.* FROM version_events e JOIN models m ON m.id = e.model_id
         WHERE e.model_id = ? AND (? IS NULL OR e.version = ?) ORDER BY e.id`,
      )
      .all(modelId, version ?? null, version ?? null) as EventRow[];
    return rows.map(toAuditEvent);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // ------------------------------------------------------------ inside write transactions

  /** Runs `change` in one BEGIN IMMEDIATE transaction with one timestamp for all its rows. */
  private write<T>(change: (now: string) => T): T {
    return this.db.transaction(() => change(new Date().toISOString())).immediate();
  }

  private pointAlias(ref: VersionRef, alias: string, now: string, reason: string | undefined): void {
    const previous = this.aliasHolder(ref.modelId, alias);
    if (previous === ref.version) return;
    if (alias === CHAMPION) this.crownChampion(ref, now, reason);
    if (previous !== undefined) this.recordEvent({ ...ref, version: previous }, now, reason, { kind: 'alias-removed', alias });
    this.db
      .prepare(
        `INSERT INTO aliases (model_id, alias, version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
      )
      .run(ref.modelId, alias, ref.version, now);
    this.recordEvent(ref, now, reason, previous === undefined ? { kind: 'alias-set', alias } : { kind: 'alias-set', alias, previousVersion: previous });
  }

  private crownChampion(ref: VersionRef, now: string, reason: string | undefined): void {
    if (this.statusOf(ref) === 'rejected') {
      throw new StatusTransitionError(`version ${ref.version} of "${ref.model}" is rejected and cannot take the champion alias`);
    }
    const others = this.db
      .prepare("SELECT version FROM versions WHERE model_id = ? AND status = 'champion' AND version != ?")
      .all(ref.modelId, ref.version) as { version: number }[];
    const replaced = `replaced as champion by version ${ref.version}${reason === undefined ? '' : `: ${reason}`}`;
    for (const other of others) this.changeStatus({ ...ref, version: other.version }, 'archived', now, replaced);
    if (this.aliasHolder(ref.modelId, CHALLENGER) === ref.version) {
      this.db.prepare('DELETE FROM aliases WHERE model_id = ? AND alias = ?').run(ref.modelId, CHALLENGER);
      this.recordEvent(ref, now, 'promoted to champion', { kind: 'alias-removed', alias: CHALLENGER });
    }
    this.changeStatus(ref, 'champion', now, reason);
  }

  private changeStatus(ref: VersionRef, to: VersionStatus, now: string, reason: string | undefined): void {
    const from = this.statusOf(ref);
    if (from === to) return;
    this.db.prepare('UPDATE versions SET status = ?, updated_at = ? WHERE model_id = ? AND version = ?').run(to, now, ref.modelId, ref.version);
    if (to === 'rejected' && reason !== undefined) {
      this.db
        .prepare('UPDATE versions SET rejection_reasons = json_insert(rejection_reasons, \'$[#]\', ?) WHERE model_id = ? AND version = ?')
        .run(reason, ref.modelId, ref.version);
    }
    this.recordEvent(ref, now, reason, { kind: 'status', from, to });
  }

  private recordEvent(ref: VersionRef, now: string, reason: string | undefined, change: AuditChange): void {
    this.db
      .prepare(
        `INSERT INTO version_events (model_id, version, at, actor, reason, kind, from_status, to_status, alias, previous_version)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        ref.modelId, ref.version, now, this.actor, reason ?? null, change.kind,
        change.kind === 'status' ? change.from : null,
        change.kind === 'status' ? change.to : change.kind === 'registered' ? change.status : null,
        change.kind === 'alias-set' || change.kind === 'alias-removed' ? change.alias : null,
        change.kind === 'alias-set' ? (change.previousVersion ?? null) : null,
      );
    this.db.prepare('UPDATE versions SET updated_at = ? WHERE model_id = ? AND version = ?').run(now, ref.modelId, ref.version);
  }

  // ------------------------------------------------------------ reads

  private modelId(model: string): number | undefined {
    return (this.db.prepare('SELECT id FROM models WHERE name = ?').get(model) as { id: number } | undefined)?.id;
  }

  private requireModel(model: string): number {
    const id = this.modelId(model);
    if (id === undefined) throw new ModelNotFoundError(`no model "${model}" in the registry at ${this.directory}`);
    return id;
  }

  private requireVersion(model: string, version: number): VersionRef {
    const modelId = this.requireModel(model);
    const { latest } = this.db.prepare('SELECT MAX(version) AS latest FROM versions WHERE model_id = ?').get(modelId) as { latest: number };
    if (version > latest) throw new ModelNotFoundError(`model "${model}" has no version ${version} (latest is ${latest})`);
    return { modelId, model, version };
  }

  private statusOf(ref: VersionRef): VersionStatus {
    return (this.db.prepare('SELECT status FROM versions WHERE model_id = ? AND version = ?').get(ref.modelId, ref.version) as { status: VersionStatus }).status;
  }

  private aliasHolder(modelId: number, alias: string): number | undefined {
    return (this.db.prepare('SELECT version FROM aliases WHERE model_id = ? AND alias = ?').get(modelId, alias) as { version: number } | undefined)?.version;
  }

  /** Aliases of every version of the model, keyed by version number. */
  private aliasesOf(modelId: number): Map<number, string[]> {
    const rows = this.db.prepare('SELECT alias, version FROM aliases WHERE model_id = ? ORDER BY alias').all(modelId) as { alias: string; version: number }[];
    const byVersion = new Map<number, string[]>();
    for (const row of rows) byVersion.set(row.version, [...(byVersion.get(row.version) ?? []), row.alias]);
    return byVersion;
  }

  private readVersion(model: string, version: number): ModelVersion | undefined {
    const row = this.db.prepare(`${SELECT_VERSION} WHERE m.name = ? AND v.version = ?`).get(model, version) as VersionRow | undefined;
    return row === undefined ? undefined : toModelVersion(row, this.aliasesOf(row.model_id).get(version) ?? [], this.attachmentsOf(row.model_id, version));
  }
}

function defaultActor(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): keep the environment's idea of the user.
  }
  return `${user}@${os.hostname()}`;
}
