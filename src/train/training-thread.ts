/** Runs the built-in trainer off the main thread: load → split → train → write the artifact. */
import { parentPort, workerData } from 'node:worker_threads';
import type { PipelineDefinition } from '../spec/schema.js';
import { loadDataset } from '../data/load-dataset.js';
import { holdoutSplit } from '../data/split.js';
import { trainLogisticRegression } from './logistic-regression.js';
import { writeArtifact } from './artifact-file.js';
import { featureColumns } from './feature-columns.js';
import { buildReferenceProfile, writeProfile } from '../drift/reference-profile.js';
import path from 'node:path';
import { readBinaryTarget } from './binary-target.js';
import { allRows } from '../data/table.js';

export interface TrainingThreadInput {
  entry: string;
  definition: PipelineDefinition;
  snapshotPath: string;
  format: 'csv' | 'parquet';
  runDir: string;
}

export type TrainingThreadMessage =
  | { type: 'progress'; phase: string }
  | { type: 'done'; artifactPath: string; referenceProfilePath: string; sha256: string; sizeBytes: number; summary: string; trainerMetrics: Record<string, number>; trainRows: number; holdoutRows: number }
  | { type: 'error'; name: string; message: string; stack?: string };

const post = (message: TrainingThreadMessage) => parentPort!.postMessage(message);

async function main(input: TrainingThreadInput): Promise<void> {
  const { definition } = input;
  if (definition.train.runtime !== 'builtin') throw new Error('the training thread runs the built-in trainer only');
  post({ type: 'progress', phase: 'loading data' });
  const table = await loadDataset(input.snapshotPath, { format: input.format });
  const features = featureColumns(definition.data, table);
  const labels = readBinaryTarget(table, definition.data.target, allRows(table.rowCount));
  const split = holdoutSplit(labels, definition.evaluate.holdout, definition.evaluate.seed);
  post({ type: 'progress', phase: `training on ${split.train.length} rows, ${features.length} features` });
  const artifact = trainLogisticRegression(table, {
    model: definition.model,
    target: definition.data.target,
    features,
    rows: split.train,
    params: definition.train.params,
    seed: definition.evaluate.seed,
  });
  const written = await writeArtifact(artifact, input.runDir);
  post({ type: 'progress', phase: 'profiling the training data for drift monitoring' });
  const referenceProfilePath = path.join(input.runDir, 'reference-profile.json');
  await writeProfile(buildReferenceProfile(table, features, { seed: definition.evaluate.seed }), referenceProfilePath);
  const t = artifact.training;
  post({
    type: 'done',
    artifactPath: written.path,
    referenceProfilePath,
    sha256: written.sha256,
    sizeBytes: written.sizeBytes,
    summary: `${t.rows} rows, ${t.iterations} iterations, ${t.converged ? 'converged' : 'not converged'}, ${t.seconds.toFixed(1)} s`,
    trainerMetrics: { train_log_loss: t.finalLoss / Math.max(1, t.rows), iterations: t.iterations, seconds: t.seconds },
    trainRows: split.train.length,
    holdoutRows: split.holdout.length,
  });
}

main(workerData as TrainingThreadInput).catch((err: Error) => post({ type: 'error', name: err.name, message: err.message, stack: err.stack }));
