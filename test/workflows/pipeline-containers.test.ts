/**
 * modelPipeline with `train.runtime: container` and `deploy.target: container`, end to end on
 * the real Temporal dev server, Docker engine, image registry and gateway: the scikit-learn
 * example (gradient boosting, as ONNX) trains in a container, its served answers equal its own
 * predict_proba, each version's serving image is built, pushed and recorded,
 * and the canary promotes a good version and rolls back a bad one. A worker killed during the
 * image build leaves no half-pushed tag, and the retried activity finishes.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { GATEWAY_TOKEN, startServingStack, type ServingStack } from '../support/serving-stack.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';
import { dockerForTests, NODE_BASE_IMAGE, registryClient, removeModelContainers, removeModelImages, REGISTRY_URL, sklearnTrainerImage, uniqueModelName } from '../support/docker-engine.js';
import { TEST_REPOSITORY } from '../support/docker-fixtures.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import { GatewayAdminClient } from '../../src/serving/gateway-admin-client.js';
import { containerName } from '../../src/deploy/container-deploy-target.js';
import type { PipelineDefinitionInput } from '../../src/spec/schema.js';
import type { Settings } from '../../src/temporal/settings.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';
import { loadDataset } from '../../src/data/load-dataset.js';
import type { Table } from '../../src/data/table.js';

const engine = await dockerForTests();

describe.skipIf(!engine.ok)('modelPipeline with container training and the container target', () => {
  if (!engine.ok) return;
  const { docker, credentials } = engine;
  const model = uniqueModelName('sk');
  let env: WorkflowTestEnvironment;
  let stack: ServingStack;
  let dataDir: string;
  let trainerImage: string;
  const stops: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-pipeline-containers-'));
    trainerImage = await sklearnTrainerImage(docker);
    stack = await startServingStack(dataDir);
    env = await createWorkflowTestEnvironment({ dataDir });
  });
  afterAll(async () => {
    for (const stop of stops) await stop();
    await env?.close();
    await stack?.close();
    await removeModelContainers(docker, model);
    await removeModelImages(docker, [model]);
  });

  const definition = (dataFile: string, faults?: { errorRate: number; addedLatencyMs: number }): PipelineDefinitionInput => ({
    ...fraudDefinition(dataFile, { model }),
    // examples/sklearn: gradient boosting as ONNX; it also writes predict_proba of the hold-out.
    train: { runtime: 'container', image: trainerImage, cpus: 1, memory: '1g', timeout: '5m', env: { TRAIN_PREDICT_OUT: '/mlops/output/sklearn-holdout.json' } },
    deploy: {
      target: 'container',
      gateway: { url: stack.gateway.url },
      container: { registry: { url: REGISTRY_URL }, repository: TEST_REPOSITORY, baseImage: NODE_BASE_IMAGE, cpus: 0.5, memory: '256m' },
      canary: {
        steps: [{ weight: 50 }], slaWindow: '4s', interval: '1s', metricsWindow: '1s', minChecksWithEvidence: 1,
        sla: { errorRate: { max: 0.03 }, latencyP99Ms: { max: 1000 }, minSamples: 10 }, errorRateTest: { enabled: false },
        // Under the full suite's load the new version's container (half a CPU, just started) was
        // truly slower than the warm champion's, and the latency comparison rightly rolled it back
        // ("48.4% of canary requests vs 11.8% … slower than 61.87 ms"). This test is about
        // containers; the latency comparison has its own (canary-machinery.test.ts).
        latencyTest: { enabled: false },
      },
      ...(faults ? { faults } : {}),
    },
  });

  let lastWorkflowId = '';
  async function runPipeline(dataFile: string, name: string, faults?: { errorRate: number; addedLatencyMs: number }): Promise<PipelineResult> {
    const file = await writeDefinition(dataDir, definition(dataFile, faults), name);
    lastWorkflowId = `pipeline/${model}/${randomUUID()}`;
    const handle = await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId: lastWorkflowId, args: [{ pipelineFile: file }] });
    return env.run(() => handle.result());
  }

  /** The hold-out split the trainer saw in the last run, and scikit-learn's predict_proba for it. */
  async function lastHoldout(): Promise<{ table: Table; sklearn: number[] }> {
    const runs = path.join(dataDir, 'runs', lastWorkflowId.replace(/[^A-Za-z0-9._-]+/g, '_'));
    const [runId] = await readdir(runs);
    const sklearn = JSON.parse(await readFile(path.join(runs, runId!, 'output', 'sklearn-holdout.json'), 'utf8')) as number[];
    return { table: await loadDataset(path.join(runs, runId!, 'splits', 'holdout.csv'), { format: 'csv' }), sklearn };
  }

  it('trains in a container, builds each version\'s image, promotes a good version and rolls back a bad one', async () => {
    const admin = new GatewayAdminClient(stack.gateway.url, GATEWAY_TOKEN);
    const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
    try {
      const first = await runPipeline(await makeDataset(dataDir, 'day1.csv', { seed: 41 }), 'day1.yaml');
      expect(first).toMatchObject({ outcome: 'promoted', version: 1 });
      expect(first.steps.map((s) => s.step)).toEqual(['load-definition', 'snapshot-data', 'check-contract', 'train', 'evaluate', 'register', 'build-image', 'rollout-slot', 'canary']);
      expect(first.steps.find((s) => s.step === 'train')?.summary).toMatch(new RegExp(`^container:${trainerImage}@sha256:`));
      const v1 = await registry.getVersion(model, 1);
      expect(v1?.lineage.trainer).toMatch(/^container:/);
      expect(v1?.lineage.servingImage?.reference).toMatch(new RegExp(`^${REGISTRY_URL}/${TEST_REPOSITORY}/${model}:v1-${v1!.artifactSha256.slice(0, 16)}$`));
      const tag = v1!.lineage.servingImage!.reference.split(':').at(-1)!;
      expect(await registryClient(credentials).manifestDigest(`${TEST_REPOSITORY}/${model}`, tag)).toBe(v1?.lineage.servingImage?.digest);
      expect((await docker.getContainer(containerName(model, 1)).inspect()).State.Running).toBe(true);

      stops.push(stack.startTraffic(model, 120));
      const second = await runPipeline(await makeDataset(dataDir, 'day2.csv', { seed: 42 }), 'day2.yaml');
      // The canary's reason in the message: a loaded machine once rolled this back (cause not captured then).
      expect(second, `canary: ${second.canary?.reason ?? second.reasons.join('; ')}`).toMatchObject({ outcome: 'promoted', version: 2, canary: { result: 'promoted' } });
      expect(Object.fromEntries((await admin.routes(model))!.routes.map((r) => [r.version, r.weight]))).toEqual({ 1: 0, 2: 100 });
      expect((await registry.getVersionByAlias(model, 'champion'))?.version).toBe(2);

      // v2 (ONNX, in its own serving image) answers through the gateway as scikit-learn did.
      const { table, sklearn } = await lastHoldout();
      const rows = Array.from({ length: 40 }, (_, i) => i);
      const inputs = table.columns.filter((c) => c.name !== 'transaction_id' && c.name !== 'is_fraud').map((c) =>
        c.kind === 'numeric'
          ? { name: c.name, shape: [rows.length], datatype: 'FP64', data: rows.map((r) => (Number.isNaN(c.values[r]!) ? null : c.values[r]!)) }
          : { name: c.name, shape: [rows.length], datatype: 'BYTES', data: rows.map((r) => (c.codes[r]! < 0 ? null : c.dictionary[c.codes[r]!]!)) },
      );
      const answer = await fetch(`${stack.gateway.url}/v2/models/${model}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs }) });
      expect(answer.status).toBe(200);
      const served = ((await answer.json()) as { outputs: Array<{ name: string; data: number[] }> }).outputs.find((o) => o.name === 'probability')!.data;
      expect(Math.max(...served.map((p, i) => Math.abs(p - sklearn[i]!)))).toBeLessThanOrEqual(1e-5);

      const third = await runPipeline(await makeDataset(dataDir, 'day3.csv', { seed: 43 }), 'day3.yaml', { errorRate: 0.4, addedLatencyMs: 0 });
      expect(third).toMatchObject({ outcome: 'rolled-back', version: 3, canary: { result: 'rolled-back' } });
      expect(Object.fromEntries((await admin.routes(model))!.routes.map((r) => [r.version, r.weight]))).toEqual({ 1: 0, 2: 100 });
      expect((await registry.getVersion(model, 3))?.status).toBe('rejected');
      await expect(docker.getContainer(containerName(model, 3)).inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect((await docker.getContainer(containerName(model, 2)).inspect()).State.Running).toBe(true);
    } finally {
      await registry.close();
    }
  }, 600_000);
});

describe.skipIf(!engine.ok)('a worker killed during the image build', () => {
  if (!engine.ok) return;
  const { docker, credentials } = engine;
  const model = uniqueModelName('killed');
  const workers: WorkerProcess[] = [];
  let connection: Connection;
  let stack: ServingStack;

  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    for (const w of workers) await w.kill();
    await connection?.close();
    await stack?.close();
    await removeModelContainers(docker, model);
    await removeModelImages(docker, [model]);
  });

  it('leaves no half-pushed tag, and the retried activity finishes the build and the run', async () => {
    const client = new Client({ connection });
    const settings: Settings = {
      temporalAddress: inject('temporalAddress'),
      namespace: 'default',
      taskQueue: `image-crash-${randomUUID()}`,
      dataDir: await mkdtemp(path.join(os.tmpdir(), 'mlops-image-crash-')),
      webUiUrl: inject('temporalUiUrl'),
    };
    stack = await startServingStack(settings.dataDir);
    const data = await makeDataset(settings.dataDir, 'data.csv', { seed: 51 });
    const file = await writeDefinition(settings.dataDir, {
      ...fraudDefinition(data, { model }),
      deploy: {
        target: 'container',
        gateway: { url: stack.gateway.url },
        // A short heartbeat timeout: the dead worker's attempt is given up after 5 s.
        container: { registry: { url: REGISTRY_URL }, repository: TEST_REPOSITORY, baseImage: NODE_BASE_IMAGE, buildHeartbeatTimeout: '5s' },
      },
    });
    const repository = `${TEST_REPOSITORY}/${model}`;

    const first = await startWorkerProcess(settings);
    workers.push(first);
    const handle = await client.workflow.start('modelPipeline', { taskQueue: settings.taskQueue, workflowId: `pipeline/${model}/${randomUUID()}`, args: [{ pipelineFile: file }] });
    await waitFor(async () => {
      const { raw } = await handle.describe();
      return (raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'buildServingImage' && a.lastStartedTime);
    }, 120_000);
    await first.kill('SIGKILL');

    // Now and after the engine has noticed the closed connection: any tag present is whole.
    for (const wait of [0, 2_000]) {
      await sleep(wait);
      for (const tag of await registryClient(credentials).tags(repository)) {
        expect(await registryClient(credentials).isComplete(repository, tag), `tag ${tag} is complete`).toBe(true);
      }
    }

    const second = await startWorkerProcess(settings);
    workers.push(second);
    const result = (await handle.result()) as PipelineResult;
    expect(result).toMatchObject({ outcome: 'promoted', version: 1 });

    const history = await handle.fetchHistory();
    const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'buildServingImage');
    const started = history.events!.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled?.eventId?.toString());
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);

    const registry = await openRegistry({ kind: 'embedded' }, { dataDir: settings.dataDir });
    const image = (await registry.getVersion(model, 1))?.lineage.servingImage;
    await registry.close();
    const tags = await registryClient(credentials).tags(repository);
    expect(tags).toEqual([image!.reference.split(':').at(-1)]);
    expect(await registryClient(credentials).manifestDigest(repository, tags[0]!)).toBe(image!.digest);
    expect(await registryClient(credentials).isComplete(repository, tags[0]!)).toBe(true);
  }, 300_000);
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(100);
  }
  throw new Error('condition not met in time');
}
