/** Registered model versions and container definitions for the Docker integration tests. */
import path from 'node:path';
import { generateFraudTable } from '../../src/data/generate.js';
import { allRows } from '../../src/data/table.js';
import type { Table } from '../../src/data/table.js';
import { trainLogisticRegression } from '../../src/train/logistic-regression.js';
import { writeArtifact } from '../../src/train/artifact-file.js';
import type { LinearModelArtifact } from '../../src/train/artifact.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import { compileInferenceModel } from '../../src/serving/inference-model.js';
import { PipelineDefinition, type PipelineDefinitionInput } from '../../src/spec/schema.js';
import { NODE_BASE_IMAGE, REGISTRY_URL } from './docker-engine.js';

export const TEST_REPOSITORY = 'mlops-test';

export interface RegisteredTestVersion {
  version: number;
  artifactSha256: string;
  artifact: LinearModelArtifact;
  table: Table;
  features: string[];
}

/** Trains the built-in model on generated fraud data and registers it as a candidate of `model`. */
export async function registerTrainedVersion(dataDir: string, model: string, seed = 1): Promise<RegisteredTestVersion> {
  const { table } = generateFraudTable({ rows: 3000, seed, fraudRate: 0.1 });
  const features = table.columns.map((c) => c.name).filter((n) => n !== 'transaction_id' && n !== 'is_fraud');
  const artifact = trainLogisticRegression(table, {
    model, target: 'is_fraud', features, rows: allRows(table.rowCount), seed,
    params: { l2: 1, maxIterations: 60, tolerance: 1e-6, minCategoryCount: 1 },
  });
  const written = await writeArtifact(artifact, path.join(dataDir, 'trained', `${model}-${seed}`));
  const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
  try {
    const registered = await registry.registerVersion({
      model, idempotencyKey: `${model}/${seed}/${written.sha256}`, status: 'candidate', artifactPath: written.path,
      metrics: { roc_auc: 0.9 }, gates: [],
      lineage: { dataVersion: 'test', definitionHash: 'test', trainer: 'builtin:logistic_regression', codeVersion: 'test', workflowId: 'test', runId: 'test' },
    });
    return { version: registered.version, artifactSha256: written.sha256, artifact, table, features };
  } finally {
    await registry.close();
  }
}

/** A definition whose deploy target is `container`, pushing to the test registry. */
export function containerDefinition(model: string, container: Partial<NonNullable<PipelineDefinitionInput['deploy']>['container']> = {}, gatewayUrl = 'http://127.0.0.1:8080'): PipelineDefinition {
  return PipelineDefinition.parse({
    model,
    data: { source: '/nonexistent.csv', target: 'is_fraud' },
    deploy: {
      target: 'container',
      gateway: { url: gatewayUrl },
      container: { registry: { url: REGISTRY_URL }, repository: TEST_REPOSITORY, baseImage: NODE_BASE_IMAGE, readyTimeout: '60s', ...container },
    },
  });
}

/** An Open Inference Protocol request for the first `rows` rows of the table, and what our own scorer says of them. */
export function inferenceFixture(registered: RegisteredTestVersion, rows: number): { body: { inputs: unknown[] }; expected: number[] } {
  const columns = registered.features.map((name) => {
    const column = registered.table.columns.find((c) => c.name === name)!;
    const data = Array.from({ length: rows }, (_, r) =>
      column.kind === 'numeric' ? (Number.isNaN(column.values[r]!) ? null : column.values[r]!) : column.codes[r]! < 0 ? null : column.dictionary[column.codes[r]!]!,
    );
    return { name, datatype: column.kind === 'numeric' ? 'FP64' : 'BYTES', data };
  });
  const model = compileInferenceModel(registered.artifact);
  const ordered = model.features.map((f) => columns.find((c) => c.name === f.name)!.data);
  return {
    body: { inputs: columns.map((c) => ({ name: c.name, shape: [rows], datatype: c.datatype, data: c.data })) },
    expected: Array.from(model.scoreColumns(ordered, rows)),
  };
}
