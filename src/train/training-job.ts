/**
 * Trains the model a definition asks for and leaves its artifact in the run directory.
 * The built-in trainer runs in a worker thread; a command trainer runs as a child process; a
 * container trainer runs as a container of its image on the Docker engine.
 */
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { PipelineDefinition } from '../spec/schema.js';
import { durationToMs } from '../spec/duration.js';
import { loadSnapshot, type DataSnapshot } from '../data/snapshot.js';
import { loadDataset } from '../data/load-dataset.js';
import { holdoutSplit } from '../data/split.js';
import { writeDataset } from '../data/write-dataset.js';
import { runCommandTrainer } from './command-trainer.js';
import { runContainerTrainer, trainingContainerName } from './container-trainer.js';
import { featureColumns } from './feature-columns.js';
import { registryCredentials } from '../build/registry-credentials.js';
import { parseByteSize } from '../build/byte-size.js';
import { openScoringModel } from '../model/open-scoring-model.js';
import { ModelFormatError } from '../model/scoring-model.js';
import type { Table } from '../data/table.js';
import { buildReferenceProfile, writeProfile } from '../drift/reference-profile.js';
import { readBinaryTarget } from './binary-target.js';
import { allRows } from '../data/table.js';
import type { TrainingThreadInput, TrainingThreadMessage } from './training-thread.js';
import type { SharedFile } from '../storage/shared-file.js';

export interface TrainedModel {
  artifactPath: string;
  /** The drift reference profile of the training data, kept with the version in the registry. */
  referenceProfilePath?: string;
  sha256: string;
  sizeBytes: number;
  /** `builtin:logistic_regression`, `command:<argv>` or `container:<image>@<image id>`. */
  trainer: string;
  summary: string;
  trainerMetrics: Record<string, number>;
  trainRows: number;
  holdoutRows: number;
  /** The artifact and profile in the pipeline's blob store, for activities on other hosts (with `storage`). */
  shared?: { artifact: SharedFile; referenceProfile?: SharedFile };
}

export interface TrainingJob {
  definition: PipelineDefinition;
  snapshot: DataSnapshot;
  runDir: string;
  heartbeat: (details: unknown) => void;
  signal: AbortSignal;
  /** Where a command's or container's output lines go besides the heartbeat (the activity log). */
  log?: (line: string) => void;
}

const HEARTBEAT_EVERY_MS = 2_000;

export async function runTrainingJob(job: TrainingJob): Promise<TrainedModel> {
  switch (job.definition.train.runtime) {
    case 'builtin':
      return trainBuiltin(job);
    case 'command':
      return trainWithCommand(job);
    case 'container':
      return trainInContainer(job);
  }
}

async function trainBuiltin(job: TrainingJob): Promise<TrainedModel> {
  const entry = new URL('./training-thread.ts', import.meta.url).href;
  const input: TrainingThreadInput = { entry, definition: job.definition, snapshotPath: job.snapshot.path, format: job.snapshot.format, runDir: job.runDir };
  const thread = new Worker(new URL('./training-thread-boot.mjs', import.meta.url), { workerData: input });
  let phase = 'starting';
  const started = Date.now();
  const beat = () => job.heartbeat({ phase, seconds: Math.round((Date.now() - started) / 1000) });
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  const onAbort = () => void thread.terminate();
  job.signal.addEventListener('abort', onAbort);
  try {
    return await new Promise<TrainedModel>((resolve, reject) => {
      thread.on('message', (message: TrainingThreadMessage) => {
        if (message.type === 'progress') {
          phase = message.phase;
          beat();
        } else if (message.type === 'done') {
          const { type: _type, ...result } = message;
          resolve({ ...result, trainer: 'builtin:logistic_regression' });
        } else {
          const err = Object.assign(new Error(message.message), { name: message.name });
          reject(err);
        }
      });
      thread.on('error', reject);
      thread.on('exit', (code) => reject(new Error(job.signal.aborted ? 'training cancelled' : `training thread exited with code ${code}`)));
    });
  } finally {
    clearInterval(timer);
    job.signal.removeEventListener('abort', onAbort);
    await thread.terminate();
  }
}

async function trainWithCommand(job: TrainingJob): Promise<TrainedModel> {
  const train = job.definition.train;
  if (train.runtime !== 'command') throw new Error('not a command trainer');
  const { definition } = job;
  const { table, split, trainPath, holdoutPath } = await writeSplits(job, train.dataFormat);
  let lastLines: string[] = [];
  const result = await runCommandTrainer({
    command: train.command,
    workingDirectory: train.workingDirectory,
    // The target's name is part of the contract with the user's trainer.
    env: { MLOPS_TARGET: definition.data.target, MLOPS_MODEL: definition.model, MLOPS_FEATURES: featureColumns(definition.data, table).join(','), ...train.env },
    timeoutMs: durationToMs(train.timeout),
    trainPath,
    holdoutPath,
    outputDir: path.join(job.runDir, 'output'),
    signal: job.signal,
    onOutput: (line) => {
      lastLines = [...lastLines.slice(-4), line];
      job.log?.(line);
      job.heartbeat({ phase: 'command running', output: lastLines });
    },
  });
  const { sha256, sizeBytes } = await checkModelOnData(result.artifactPath, table);
  const referenceProfilePath = path.join(job.runDir, 'reference-profile.json');
  await writeProfile(buildReferenceProfile(table, featureColumns(definition.data, table), { seed: definition.evaluate.seed }), referenceProfilePath);
  return {
    artifactPath: result.artifactPath,
    referenceProfilePath,
    sha256,
    sizeBytes,
    trainer: `command:${train.command.join(' ')}`,
    summary: `exit ${result.exitCode} after ${result.seconds.toFixed(1)} s`,
    trainerMetrics: result.trainerMetrics,
    trainRows: split.train.length,
    holdoutRows: split.holdout.length,
  };
}

async function trainInContainer(job: TrainingJob): Promise<TrainedModel> {
  const train = job.definition.train;
  if (train.runtime !== 'container') throw new Error('not a container trainer');
  const { definition } = job;
  const { table, split, splitsDir, trainPath, holdoutPath } = await writeSplits(job, train.dataFormat);
  const features = featureColumns(definition.data, table);
  let lastLines: string[] = [];
  const result = await runContainerTrainer({
    image: train.image,
    command: train.command,
    // The target and features are part of the contract with the user's trainer.
    env: { MLOPS_TARGET: definition.data.target, MLOPS_MODEL: definition.model, MLOPS_FEATURES: features.join(','), ...train.env },
    cpus: train.cpus,
    memoryBytes: parseByteSize(train.memory),
    network: train.network,
    timeoutMs: durationToMs(train.timeout),
    splitsDir,
    trainFile: path.basename(trainPath),
    holdoutFile: path.basename(holdoutPath),
    outputDir: path.join(job.runDir, 'output'),
    containerName: trainingContainerName(job.runDir),
    pullCredentials: train.registryAuth ? registryCredentials(train.registryAuth) : undefined,
    signal: job.signal,
    onOutput: (line) => {
      lastLines = [...lastLines.slice(-4), line];
      job.log?.(line);
      job.heartbeat({ phase: 'container running', output: lastLines });
    },
  });
  const { sha256, sizeBytes } = await checkModelOnData(result.artifactPath, table);
  const referenceProfilePath = path.join(job.runDir, 'reference-profile.json');
  await writeProfile(buildReferenceProfile(table, features, { seed: definition.evaluate.seed }), referenceProfilePath);
  return {
    artifactPath: result.artifactPath,
    referenceProfilePath,
    sha256,
    sizeBytes,
    trainer: `container:${train.image}@${result.imageId}`,
    summary: `exit ${result.exitCode} after ${result.seconds.toFixed(1)} s in ${train.image}`,
    trainerMetrics: result.trainerMetrics,
    trainRows: split.train.length,
    holdoutRows: split.holdout.length,
  };
}

/** The train and hold-out splits (the evaluation's own split, so the gates see the same hold-out) as files. */
async function writeSplits(job: TrainingJob, format: 'csv' | 'parquet') {
  const { definition, snapshot } = job;
  job.heartbeat({ phase: 'writing splits' });
  const table = await loadSnapshot(snapshot);
  const labels = readBinaryTarget(table, definition.data.target, allRows(table.rowCount));
  const split = holdoutSplit(labels, definition.evaluate.holdout, definition.evaluate.seed);
  const splitsDir = path.join(job.runDir, 'splits');
  await mkdir(splitsDir, { recursive: true });
  const trainPath = path.join(splitsDir, `train.${format}`);
  const holdoutPath = path.join(splitsDir, `holdout.${format}`);
  await writeDataset(table, trainPath, { format, rows: split.train });
  await writeDataset(table, holdoutPath, { format, rows: split.holdout });
  return { table, split, splitsDir, trainPath, holdoutPath };
}

/**
 * Scores a few rows of the data with the trainer's model, so a model whose inputs do not match
 * the data's columns (or whose output is not a probability) fails here, before evaluation and
 * registration, with the input named.
 */
async function checkModelOnData(file: string, table: Table): Promise<{ sha256: string; sizeBytes: number }> {
  const { model, sha256, sizeBytes } = await openScoringModel(file);
  try {
    const rows = allRows(Math.min(table.rowCount, 256));
    const scores = await model.scoreTable(table, rows);
    const bad = scores.findIndex((p) => !(p >= 0 && p <= 1));
    if (bad >= 0) throw new ModelFormatError(file, `its probability for row ${rows[bad]} is ${scores[bad]}, not a number between 0 and 1`);
  } finally {
    await model.close();
  }
  return { sha256, sizeBytes };
}
