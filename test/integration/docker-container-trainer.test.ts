/**
 * `train.runtime: container` against the real engine: the scikit-learn examples train in a
 * container on read-only splits and write a model (ONNX, or our linear JSON) our evaluator scores
 * as scikit-learn did, and passes the gates; a failing, silent, escaping or cancelled trainer is reported and its
 * container removed every time.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { runTrainingJob, type TrainingJob } from '../../src/train/training-job.js';
import { ContainerTrainerError, trainingContainerName } from '../../src/train/container-trainer.js';
import { TrainerOutputError } from '../../src/train/command-trainer.js';
import { runEvaluationJob } from '../../src/evaluate/evaluation-job.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import { snapshotDataset, type DataSnapshot } from '../../src/data/snapshot.js';
import { loadDataset } from '../../src/data/load-dataset.js';
import { allRows } from '../../src/data/table.js';
import { openScoringModel } from '../../src/model/open-scoring-model.js';
import { PipelineDefinition, type PipelineDefinitionInput } from '../../src/spec/schema.js';
import { dockerForTests, sklearnTrainerImage } from '../support/docker-engine.js';
import { fraudDefinition, makeDataset, makeWorkspace } from '../support/pipeline-fixtures.js';

const engine = await dockerForTests();

describe.skipIf(!engine.ok)('container training runtime (real engine)', () => {
  if (!engine.ok) return;
  const { docker } = engine;
  let workspace: string;
  let snapshot: DataSnapshot;
  let image: string;

  beforeAll(async () => {
    workspace = await makeWorkspace();
    const source = await makeDataset(workspace, 'transactions.csv', { rows: 4000, seed: 5 });
    snapshot = await snapshotDataset(source, workspace);
    image = await sklearnTrainerImage(docker);
  });

  const definition = (train: Record<string, unknown>, overrides: Partial<PipelineDefinitionInput> = {}) =>
    PipelineDefinition.parse(fraudDefinition(snapshot.path, { model: 'sklearn-test', train: { runtime: 'container', image, ...train } as PipelineDefinitionInput['train'], ...overrides }));

  const job = async (def: PipelineDefinition, extra: Partial<TrainingJob> = {}): Promise<TrainingJob & { lines: string[] }> => {
    const lines: string[] = [];
    const runDir = await mkdtemp(path.join(workspace, 'run-'));
    return { definition: def, snapshot, runDir, heartbeat: () => undefined, signal: new AbortController().signal, log: (line) => lines.push(line), lines, ...extra };
  };

  it('trains the scikit-learn gradient boosting example in a container as ONNX; our scores are predict_proba to 1e-5 and the gates pass', async () => {
    const def = definition({ env: { TRAIN_PREDICT_OUT: '/mlops/output/sklearn-holdout.json' }, cpus: 1, memory: '1g' }, { evaluate: { holdout: 0.25, seed: 3, gates: { roc_auc: { min: 0.7 }, log_loss: { max: 0.4 } } } });
    const training = await job(def);
    const model = await runTrainingJob(training);

    expect(model.trainer).toMatch(new RegExp(`^container:${image}@sha256:[0-9a-f]{64}$`));
    expect(model.artifactPath.endsWith(path.join('model', 'model.onnx'))).toBe(true);
    expect(training.lines.some((l) => /^training scikit-learn 1\.\S+ hgb pipeline/.test(l))).toBe(true);

    // The hold-out split the trainer saw, scored through our ONNX path, against its predict_proba.
    const sklearn = JSON.parse(await readFile(path.join(training.runDir, 'output', 'sklearn-holdout.json'), 'utf8')) as number[];
    const holdout = await loadDataset(path.join(training.runDir, 'splits', 'holdout.csv'), { format: 'csv' });
    const { model: onnx } = await openScoringModel(model.artifactPath, model.sha256);
    const ours = await onnx.scoreTable(holdout, allRows(holdout.rowCount));
    await onnx.close();
    expect(ours.length).toBe(sklearn.length);
    expect(Math.max(...Array.from(ours, (p, i) => Math.abs(p - sklearn[i]!)))).toBeLessThanOrEqual(1e-5);

    const registry = await openRegistry({ kind: 'embedded' }, { dataDir: workspace });
    const evaluation = await runEvaluationJob({ definition: def, snapshot, model, registry, dataDir: workspace });
    await registry.close();
    expect(evaluation.metrics.roc_auc).toBeCloseTo(model.trainerMetrics.holdout_roc_auc!, 4);
    expect(evaluation.metrics.log_loss).toBeCloseTo(model.trainerMetrics.holdout_log_loss!, 5);
    expect(evaluation.reasons).toEqual([]);
    expect(await containerExists(docker, training.runDir)).toBe(false);
  });

  it('trains the logistic regression example in our linear format; our evaluation reproduces its scores exactly', async () => {
    const def = definition({ command: ['python3', '/opt/trainer/train_logistic.py'], env: { TRAIN_L2: '1' }, cpus: 1, memory: '1g' }, { evaluate: { holdout: 0.25, seed: 3, gates: { roc_auc: { min: 0.7 }, log_loss: { max: 0.4 } } } });
    const training = await job(def);
    const model = await runTrainingJob(training);
    expect(model.artifactPath.endsWith(path.join('model', 'model.json'))).toBe(true);
    expect(training.lines.some((l) => l.startsWith('training scikit-learn 1.'))).toBe(true);
    const registry = await openRegistry({ kind: 'embedded' }, { dataDir: workspace });
    const evaluation = await runEvaluationJob({ definition: def, snapshot, model, registry, dataDir: workspace });
    await registry.close();
    expect(evaluation.metrics.roc_auc).toBeCloseTo(model.trainerMetrics.holdout_roc_auc!, 9);
    expect(evaluation.metrics.log_loss).toBeCloseTo(model.trainerMetrics.holdout_log_loss!, 9);
  });

  it('mounts the data read-only, applies the CPU and memory limits and keeps the trainer off the network', async () => {
    const probe = [
      'python3', '-c',
      [
        'import os, socket, sys',
        "limit = open('/sys/fs/cgroup/memory/memory.limit_in_bytes').read().strip() if os.path.exists('/sys/fs/cgroup/memory/memory.limit_in_bytes') else open('/sys/fs/cgroup/memory.max').read().strip()",
        "print('memory-limit', limit)",
        "quota = open('/sys/fs/cgroup/cpu/cpu.cfs_quota_us').read().strip() if os.path.exists('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') else open('/sys/fs/cgroup/cpu.max').read().strip()",
        "print('cpu-quota', quota)",
        "print('interfaces', sorted(n for _, n in socket.if_nameindex()))",
        "print('train-file', os.path.exists(os.environ['MLOPS_TRAIN_DATA']))",
        "open('/mlops/data/x', 'w')",
      ].join('\n'),
    ];
    const training = await job(definition({ command: probe, memory: '300m', cpus: 0.5 }));
    const error = await runTrainingJob(training).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ContainerTrainerError);
    const failure = error as ContainerTrainerError;
    expect(failure.reason).toBe('exit');
    expect(failure.outputTail).toContain(`memory-limit ${300 * 1024 * 1024}`);
    // 0.5 CPU: 50 ms of every 100 ms period (cgroup v1 quota, or v2's "quota period").
    expect(failure.outputTail.find((l) => l.startsWith('cpu-quota'))).toMatch(/^cpu-quota 50000( 100000)?$/);
    expect(failure.outputTail).toContain("interfaces ['lo']");
    expect(failure.outputTail).toContain('train-file True');
    expect(failure.message).toMatch(/Read-only file system/);
    expect(await containerExists(docker, training.runDir)).toBe(false);
  });

  it('reports a non-zero exit with the last lines of output', async () => {
    const training = await job(definition({ command: ['python3', '-c', "print('loading'); import sys; print('bad label column', file=sys.stderr); sys.exit(4)"] }));
    const error = await runTrainingJob(training).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ContainerTrainerError);
    expect(error).toMatchObject({ reason: 'exit', exitCode: 4 });
    // stdout and stderr alike; the engine copies the two pipes separately, so their relative order is not kept.
    expect([...(error as ContainerTrainerError).outputTail].sort()).toEqual(['bad label column', 'loading']);
    expect(await containerExists(docker, training.runDir)).toBe(false);
  });

  it('rejects a trainer that exits 0 without writing the model', async () => {
    const error = await runTrainingJob(await job(definition({ command: ['python3', '-c', "print('done, honestly')"] }))).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TrainerOutputError);
    expect((error as Error).message).toMatch(/no model: expected .*model\.json or .*model\.onnx/);
  });

  it('stops and removes the container when the activity is cancelled', async () => {
    const controller = new AbortController();
    const training = await job(definition({ command: ['python3', '-c', "import time; print('training for a long time', flush=True); time.sleep(600)"] }), {
      signal: controller.signal,
      log: (line) => {
        if (line.includes('training for a long time')) controller.abort();
      },
    });
    const started = Date.now();
    const error = await runTrainingJob(training).catch((err: unknown) => err);
    expect(error).toMatchObject({ name: 'ContainerTrainerError', reason: 'aborted' });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await containerExists(docker, training.runDir)).toBe(false);
  });

  it('removes a container left by a crashed attempt before the retry starts', async () => {
    const training = await job(definition({ command: ['python3', '-c', "print('ok')"] }));
    const name = trainingContainerName(training.runDir);
    // What a worker killed mid-training leaves: the container, still running.
    const leftover = await docker.createContainer({ name, Image: image, Cmd: ['python3', '-c', 'import time; time.sleep(600)'], Labels: { 'io.mlops.role': 'trainer' }, HostConfig: { NetworkMode: 'none' } });
    await leftover.start();
    const error = await runTrainingJob(training).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TrainerOutputError); // it ran (printed ok, wrote nothing), so the leftover was out of the way
    await expect(leftover.inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});

/** Whether the run's trainer container still exists (other suites may run trainers meanwhile). */
async function containerExists(docker: Docker, runDir: string): Promise<boolean> {
  const containers = await docker.listContainers({ all: true, filters: { name: [trainingContainerName(runDir)] } });
  return containers.length > 0;
}
