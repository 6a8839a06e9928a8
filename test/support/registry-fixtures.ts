/** Shared helpers for the registry tests: temp directories, artifacts and new-version records. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { NewModelVersion } from '../../src/registry/model-registry.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import { LINEAR_MODEL_FORMAT, type LinearModelArtifact } from '../../src/train/artifact.js';
import { writeArtifact as writeArtifactFile } from '../../src/train/artifact-file.js';

export async function makeTempDir(prefix = 'registry-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeArtifact(dir: string, content: string, name = 'model.json'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

export function newVersion(artifactPath: string, overrides: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    model: 'churn',
    idempotencyKey: `key-${Math.random().toString(36).slice(2)}`,
    status: 'candidate',
    artifactPath,
    metrics: { roc_auc: 0.91, accuracy: 0.85, f1: 0.8 },
    gates: [{ gate: 'metric:roc_auc', value: 0.91, min: 0.8, passed: true, detail: 'roc_auc 0.9100 ≥ 0.8' }],
    lineage: {
      dataVersion: 'sha256:0123456789abcdef',
      definitionHash: 'def-hash',
      trainer: 'builtin:logistic_regression',
      codeVersion: 'test',
      workflowId: 'wf-1',
      runId: 'run-1',
    },
    ...overrides,
  };
}

/** Every row of every table, to compare the database before and after a failed call. */
export function dumpRegistryDatabase(registryDir: string): Record<string, unknown[]> {
  const db = new Database(path.join(registryDir, 'registry.db'), { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}"`).all()]));
  } finally {
    db.close();
  }
}

/** A temp data directory whose embedded registry holds `artifact` as version 1 of its model. */
export async function registryWithArtifact(prefix: string, artifact: LinearModelArtifact): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const temp = await makeTempDir(prefix);
  const written = await writeArtifactFile(artifact, path.join(temp.dir, 'trained'));
  const registry = await openRegistry({ kind: 'embedded' }, { dataDir: temp.dir });
  try {
    await registry.registerVersion(newVersion(written.path, { model: artifact.model }));
  } finally {
    await registry.close();
  }
  return temp;
}

/** A small logistic-regression artifact of model "tiny" (target y); say which features and weights. */
export function tinyArtifact(model: Pick<LinearModelArtifact, 'features' | 'intercept' | 'weights'>): LinearModelArtifact {
  return {
    format: LINEAR_MODEL_FORMAT, model: 'tiny', algorithm: 'logistic_regression', target: 'y', ...model,
    params: { l2: 1, maxIterations: 100, tolerance: 1e-6, minCategoryCount: 1 },
    training: { rows: 10, positives: 5, iterations: 3, converged: true, finalLoss: 1, seconds: 0, seed: 1 },
    createdAt: '2024-01-01T00:00:00.000Z',
  };
}
