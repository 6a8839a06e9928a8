/**
 * modelPipeline with `registry.kind: mlflow`, through the real Temporal dev server against a
 * REAL MLflow server, checked through MLflow's own REST API: what a run registers, how the
 * canary's outcome (the promote and reject activities) moves `champion` or tags a rejection,
 * and a worker SIGKILLed after MLflow created the version but before the activity heard back.
 */
import { createHash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createDeployActivities } from '../../activities/deploy-activities.js';
import type { MlflowModelVersion, MlflowRun } from '../../src/registry/mlflow-client.js';
import { PipelineDefinition, type PipelineDefinitionInput } from '../../src/spec/schema.js';
import type { Settings } from '../../src/temporal/settings.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';
import { mlflowApi, mlflowUnavailableReason, startMlflow, type RunningMlflow } from '../support/mlflow-server.js';
import { startMlflowProxy, type MlflowProxy } from '../support/mlflow-proxy.js';
import { fraudDefinition, makeDataset, makeWorkspace, writeDefinition } from '../support/pipeline-fixtures.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { PYTHON_ML, SKLEARN_EXAMPLE_TRAINER } from '../support/python-ml.js';

const MLFLOW_PYFUNC_PREDICT = path.resolve(import.meta.dirname, '../support/mlflow-pyfunc-predict.py');

const unavailable = await mlflowUnavailableReason('test/integration/mlflow-pipeline.test.ts');

let mlflow: RunningMlflow;
let env: WorkflowTestEnvironment;
let dir: string;
const days: string[] = [];

beforeAll(async () => {
  if (unavailable) return;
  mlflow = await startMlflow();
  env = await createWorkflowTestEnvironment();
  dir = await makeWorkspace();
  for (const seed of [21, 22, 23]) days.push(await makeDataset(dir, `day-${seed}.csv`, { seed }));
});
afterAll(async () => {
  await env?.close();
  await mlflow?.stop();
});
beforeEach((context) => {
  if (unavailable) context.skip(`MLflow unavailable: ${unavailable}`);
});

const tag = (tags: { key: string; value: string }[] | undefined, key: string) => tags?.find((t) => t.key === key)?.value;

function definitionFor(model: string, data: string, overrides: Partial<PipelineDefinitionInput> = {}): PipelineDefinitionInput {
  return fraudDefinition(data, { model, registry: mlflow.registrySection(), ...overrides });
}

async function runPipeline(definition: PipelineDefinitionInput) {
  const file = await writeDefinition(dir, definition, `${definition.model}-${randomUUID()}.yaml`);
  const handle = await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId: `test/${randomUUID()}`, args: [{ pipelineFile: file, trigger: 'cli' }] });
  return { handle, outcome: await env.run(() => handle.result() as Promise<PipelineResult>) };
}

async function modelVersion(name: string, version: number): Promise<MlflowModelVersion> {
  return (await mlflowApi<{ model_version: MlflowModelVersion }>(mlflow.url, 'GET', 'model-versions/get', { name, version: String(version) })).model_version;
}

async function versionsOf(name: string): Promise<MlflowModelVersion[]> {
  return (await mlflowApi<{ model_versions?: MlflowModelVersion[] }>(mlflow.url, 'GET', 'model-versions/search', { filter: `name = '${name}'` })).model_versions ?? [];
}

async function aliasesOf(name: string): Promise<Record<string, string>> {
  const { registered_model } = await mlflowApi<{ registered_model: { aliases?: { alias: string; version: string }[] } }>(mlflow.url, 'GET', 'registered-models/get', { name });
  return Object.fromEntries((registered_model.aliases ?? []).map((a) => [a.alias, a.version]));
}

describe('modelPipeline on a real MLflow server', () => {
  it('registers the version with its run, metrics, lineage tags and the challenger alias', async () => {
    const { handle, outcome } = await runPipeline(definitionFor('mlflow-fraud', days[0]!));
    expect(outcome).toMatchObject({ outcome: 'registered', version: 1, status: 'candidate' });

    expect(await aliasesOf('mlflow-fraud')).toEqual({ challenger: '1' });
    const version = await modelVersion('mlflow-fraud', 1);
    expect(version.source).toBe(`runs:/${version.run_id}/model`);
    const { execution } = await handle.describe().then((d) => ({ execution: { workflowId: d.workflowId, runId: d.runId } }));
    expect(tag(version.tags, 'mlops.status')).toBe('candidate');
    expect(tag(version.tags, 'mlops.idempotency_key')).toBe(`${execution.workflowId}/${execution.runId}`);
    expect(tag(version.tags, 'mlops.lineage.workflow_id')).toBe(execution.workflowId);
    expect(tag(version.tags, 'mlops.lineage.run_id')).toBe(execution.runId);
    expect(tag(version.tags, 'mlops.lineage.data_version')?.startsWith(outcome.dataVersion)).toBe(true);
    expect(tag(version.tags, 'mlops.lineage.code_version')).toBe('test');
    expect(tag(version.tags, 'mlops.lineage.trigger')).toBe('cli');
    expect(tag(version.tags, 'mlops.lineage.definition_hash')).toMatch(/^[0-9a-f]{16,}$/);
    expect(JSON.parse(tag(version.tags, 'mlops.gates')!)).toEqual(outcome.gates);

    const { run } = await mlflowApi<{ run: MlflowRun }>(mlflow.url, 'GET', 'runs/get', { run_id: version.run_id! });
    expect(run.info.status).toBe('FINISHED');
    const { experiment } = await mlflowApi<{ experiment: { name: string } }>(mlflow.url, 'GET', 'experiments/get', { experiment_id: run.info.experiment_id });
    expect(experiment.name).toBe('mlops/mlflow-fraud');
    const metrics = Object.fromEntries(run.data.metrics!.map((m) => [m.key, m.value]));
    expect(metrics).toEqual(outcome.metrics);
    expect(metrics.roc_auc).toBeGreaterThan(0.7);
    expect(run.data.params).toEqual(expect.arrayContaining([
      { key: 'trainer', value: 'builtin:logistic_regression' },
      { key: 'workflow_id', value: execution.workflowId },
      { key: 'code_version', value: 'test' },
    ]));
    expect(tag(run.data.tags, 'mlops.gate.metric:roc_auc')).toMatch(/^pass /);

    // The model file, fetched through MLflow's artifact proxy, is what the sha256 tag says.
    const artifactUrl = `${mlflow.url}/api/2.0/mlflow-artifacts/artifacts/${run.info.artifact_uri!.replace('mlflow-artifacts:/', '')}/${tag(version.tags, 'mlops.artifact_path')}`;
    const bytes = Buffer.from(await (await fetch(artifactUrl)).arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(tag(version.tags, 'mlops.artifact_sha256'));
    expect(bytes.length).toBe(Number(tag(version.tags, 'mlops.artifact_size')));
  });

  it('registers an ONNX version as an MLflow Model that the MLflow Python client loads by alias and predicts as scikit-learn did', async () => {
    const model = 'mlflow-onnx';
    const probe = await makeDataset(dir, 'onnx-probe.csv', { rows: 50, seed: 24 });
    const sklearnScores = path.join(dir, 'onnx-probe-sklearn.json');
    const definition = definitionFor(model, days[0]!, {
      train: { runtime: 'command', command: [PYTHON_ML, SKLEARN_EXAMPLE_TRAINER], env: { TRAIN_PREDICT_DATA: probe, TRAIN_PREDICT_OUT: sklearnScores }, timeout: '5m' },
    });
    const { outcome } = await runPipeline(definition);
    expect(outcome).toMatchObject({ outcome: 'registered', version: 1 });
    const deploy = createDeployActivities({ dataDir: env.settings.dataDir, codeVersion: 'test' });
    await deploy.promoteVersion({ definition: PipelineDefinition.parse(definition), version: 1, reason: 'first version' });
    expect(await aliasesOf(model)).toEqual({ champion: '1' });

    const { stdout } = await promisify(execFile)(PYTHON_ML, [MLFLOW_PYFUNC_PREDICT, mlflow.url, `models:/${model}@champion`, probe], { timeout: 120_000 });
    const loaded = JSON.parse(stdout.trim().split('\n').at(-1)!) as { flavors: string[]; probabilities: number[] };
    expect(loaded.flavors).toEqual(['onnx', 'python_function']);
    const expected = JSON.parse(await readFile(sklearnScores, 'utf8')) as number[];
    expect(loaded.probabilities).toHaveLength(expected.length);
    expect(Math.max(...loaded.probabilities.map((p, i) => Math.abs(p - expected[i]!)))).toBeLessThanOrEqual(1e-5);
  });

  it('moves champion on promotion (archiving the previous one) and tags a rejected canary', async () => {
    const model = 'mlflow-canary';
    const deploy = createDeployActivities({ dataDir: env.settings.dataDir, codeVersion: 'test' });
    const gated = { evaluate: { holdout: 0.25, seed: 3, gates: { roc_auc: { min: 0.7 }, champion: { metric: 'roc_auc' as const, maxRegression: 0.05 } } } };
    const definition = PipelineDefinition.parse(definitionFor(model, days[0]!, gated));

    const day1 = await runPipeline(definitionFor(model, days[0]!, gated));
    await deploy.promoteVersion({ definition, version: day1.outcome.version, reason: 'first version' });
    expect(await aliasesOf(model)).toEqual({ champion: '1' });

    // Day 2's champion gate loads v1's artifact from MLflow (sha256-verified) and scores it on the same hold-out.
    const day2 = await runPipeline(definitionFor(model, days[1]!, gated));
    expect(day2.outcome).toMatchObject({ outcome: 'registered', version: 2 });
    expect(day2.outcome.gates.map((g) => g.gate)).toContain('champion:roc_auc');
    expect(tag((await modelVersion(model, 2)).tags, 'mlops.lineage.parent_version')).toBe('1');
    expect(await aliasesOf(model)).toEqual({ champion: '1', challenger: '2' });

    const promoted = await deploy.promoteVersion({ definition, version: 2, reason: 'canary passed every step' });
    expect(promoted).toEqual({ previousChampion: 1 });
    expect(await aliasesOf(model)).toEqual({ champion: '2' });
    expect(tag((await modelVersion(model, 1)).tags, 'mlops.status')).toBe('archived');
    expect(tag((await modelVersion(model, 1)).tags, 'mlops.status_reason')).toBe('replaced as champion by version 2: canary passed every step');
    expect(tag((await modelVersion(model, 2)).tags, 'mlops.status')).toBe('champion');

    const day3 = await runPipeline(definitionFor(model, days[2]!, gated));
    expect(day3.outcome.version).toBe(3);
    const reason = 'canary rolled back: error rate 0.05 above 0.01 for the whole 15m window';
    await deploy.rejectVersion({ definition, version: 3, reason });
    await deploy.rejectVersion({ definition, version: 3, reason }); // a retried activity changes nothing
    const rejected = await modelVersion(model, 3);
    expect(tag(rejected.tags, 'mlops.status')).toBe('rejected');
    expect(JSON.parse(tag(rejected.tags, 'mlops.rejection_reasons')!)).toEqual([reason]);
    expect(await aliasesOf(model)).toEqual({ champion: '2' });
  });

  describe('a worker killed mid-registration', () => {
    const workers: WorkerProcess[] = [];
    let proxy: MlflowProxy | undefined;
    afterAll(async () => {
      for (const worker of workers) await worker.kill();
      await proxy?.close();
    });

    it('is replaced by one whose retry finds the version MLflow already created: exactly one version', async () => {
      proxy = await startMlflowProxy(mlflow.url);
      const settings: Settings = {
        temporalAddress: inject('temporalAddress'),
        namespace: 'default',
        taskQueue: `mlflow-crash-${randomUUID()}`,
        dataDir: await mkdtemp(path.join(os.tmpdir(), 'mlops-mlflow-crash-')),
        webUiUrl: inject('temporalUiUrl'),
      };
      const model = 'mlflow-crash';
      const file = await writeDefinition(dir, fraudDefinition(days[0]!, { model, registry: mlflow.registrySection({ trackingUri: proxy.url }) }), 'crash.yaml');
      workers.push(await startWorkerProcess(settings));
      const held = proxy.holdNext('POST', '/model-versions/create');
      const handle = await env.client.workflow.start('modelPipeline', { taskQueue: settings.taskQueue, workflowId: `crash/${randomUUID()}`, args: [{ pipelineFile: file }] });

      // MLflow has created the version; the worker is waiting for the answer. Kill it now.
      await Promise.race([held.upstreamAnswered, sleep(90_000).then(() => Promise.reject(new Error('registration never reached MLflow')))]);
      await workers[0]!.kill('SIGKILL');
      held.drop();
      const orphan = await versionsOf(model);
      expect(orphan).toHaveLength(1);
      expect(tag(orphan[0]!.tags, 'mlops.registration')).toBeUndefined();
      expect(await aliasesOf(model)).toEqual({});

      workers.push(await startWorkerProcess(settings));
      const result = (await handle.result()) as PipelineResult;
      expect(result).toMatchObject({ outcome: 'registered', version: 1 });

      const versions = await versionsOf(model);
      expect(versions.map((v) => v.version)).toEqual(['1']);
      expect(tag(versions[0]!.tags, 'mlops.registration')).toBe('complete');
      expect(await aliasesOf(model)).toEqual({ challenger: '1' });
      const { experiment } = await mlflowApi<{ experiment: { experiment_id: string } }>(mlflow.url, 'GET', 'experiments/get-by-name', { experiment_name: `mlops/${model}` });
      const { runs } = await mlflowApi<{ runs?: MlflowRun[] }>(mlflow.url, 'POST', 'runs/search', { experiment_ids: [experiment.experiment_id] });
      expect(runs).toHaveLength(1);

      const history = await handle.fetchHistory();
      const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'registerModelVersion');
      const started = history.events!.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled?.eventId?.toString());
      expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);
    }, 240_000);
  });
});

describe('a canary on MLflow', () => {
  it('serves versions loaded from MLflow and moves champion there when the canary promotes', async () => {
    const { startServingStack } = await import('../support/serving-stack.js');
    const stack = await startServingStack(env.settings.dataDir);
    const stopTraffic: Array<() => Promise<import('../../src/serving/traffic-generator.js').TrafficStats>> = [];
    try {
      const model = `mlflow-canary-${randomUUID().slice(0, 8)}`;
      const deploy = {
        gateway: { url: stack.gateway.url },
        canary: { steps: [{ weight: 50 }], slaWindow: '3s', interval: '1s', metricsWindow: '1s', minChecksWithEvidence: 1, sla: { minSamples: 10 }, errorRateTest: { enabled: false } },
      };
      const first = await runPipeline(definitionFor(model, days[0]!, { deploy }));
      expect(first.outcome).toMatchObject({ outcome: 'promoted', version: 1 });
      stopTraffic.push(stack.startTraffic(model, 120));
      const second = await runPipeline(definitionFor(model, days[1]!, { deploy }));
      expect(second.outcome).toMatchObject({ outcome: 'promoted', version: 2 });
      const stats = await stopTraffic.pop()!();
      // Both versions answered through the gateway: their model servers loaded the artifacts from MLflow.
      expect(stats.byVersion['1']?.ok).toBeGreaterThan(0);
      expect(stats.byVersion['2']?.ok).toBeGreaterThan(0);
      const champion = await mlflowApi<{ model_version: MlflowModelVersion }>(mlflow.url, 'GET', 'registered-models/alias', { name: model, alias: 'champion' });
      expect(champion.model_version.version).toBe('2');
    } finally {
      for (const stop of stopTraffic) await stop();
      await stack.close();
    }
  });
});
