/**
 * The embedded registry's SQLite schema as numbered migrations. `PRAGMA user_version` records
 * how many have run; each opener applies the missing ones inside one immediate transaction,
 * so processes that open a fresh registry at the same time cannot both migrate it.
 */
import type Database from 'better-sqlite3';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE models (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );

  CREATE TABLE versions (
    model_id          INTEGER NOT NULL REFERENCES models (id),
    version           INTEGER NOT NULL CHECK (version > 0),
    status            TEXT NOT NULL CHECK (status IN ('candidate', 'rejected', 'champion', 'archived')),
    idempotency_key   TEXT NOT NULL,
    artifact_sha256   TEXT NOT NULL,
    artifact_size     INTEGER NOT NULL,
    artifact_name     TEXT NOT NULL,
    metrics           TEXT NOT NULL,
    gates             TEXT NOT NULL,
    lineage           TEXT NOT NULL,
    rejection_reasons TEXT NOT NULL,
    description       TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (model_id, version),
    UNIQUE (model_id, idempotency_key)
  ) WITHOUT ROWID;

  CREATE TABLE aliases (
    model_id   INTEGER NOT NULL,
    alias      TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (model_id, alias),
    FOREIGN KEY (model_id, version) REFERENCES versions (model_id, version)
  ) WITHOUT ROWID;

  -- The audit trail: append-only, one row per registration, status change or alias move.
  CREATE TABLE version_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id         INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    at               TEXT NOT NULL,
    actor            TEXT NOT NULL,
    reason           TEXT,
    kind             TEXT NOT NULL CHECK (kind IN ('registered', 'status', 'alias-set', 'alias-removed')),
    from_status      TEXT,
    to_status        TEXT,
    alias            TEXT,
    previous_version INTEGER,
    FOREIGN KEY (model_id, version) REFERENCES versions (model_id, version)
  );
  CREATE INDEX version_events_by_version ON version_events (model_id, version);
  `,
  `
  -- Files kept with a version besides its artifact (e.g. the drift reference profile).
  CREATE TABLE version_attachments (
    model_id   INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (model_id, version, name),
    FOREIGN KEY (model_id, version) REFERENCES versions (model_id, version)
  ) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrateRegistrySchema(db: Database.Database, file: string): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new Error(`${file} has registry schema ${current}, newer than this program's ${SCHEMA_VERSION}; upgrade mlops to open it`);
    }
    for (const migration of MIGRATIONS.slice(current)) db.exec(migration);
    if (current !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
